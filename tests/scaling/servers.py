"""Real servers beside the suite's PostgreSQL: Debian's PgBouncer in front of it, and a streaming
replica of a primary of its own (both on 127.0.0.1, stopped by the test that started them)."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import asyncpg

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ServerAddress:
    """Where a PostgreSQL URL points: host (a name or a socket directory), port, user, database."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def of(cls, url: str) -> ServerAddress:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        return cls(host=host, port=parts.port or int(query.get("port", ["5432"])[0]),
                   user=parts.username or "postgres", password=parts.password or "",
                   database=parts.path.lstrip("/") or "postgres")


def read_log(log: Path) -> str:
    return log.read_text(errors="replace")


def spawn(command: list[str], log: Path) -> subprocess.Popen:
    """Starts a server in the background, its output into `log`."""
    with log.open("wb") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)


async def wait_until_accepting(url: str, process: subprocess.Popen, log: Path,
                               timeout: float = 20.0) -> None:
    """Connects until the server answers; fails with its log when it exits or never answers."""
    async with asyncio.timeout(timeout):
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited {process.returncode}: {read_log(log)}")
            try:
                conn = await asyncpg.connect(url, timeout=2, statement_cache_size=0)
            except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
                await asyncio.sleep(0.05)
                continue
            await conn.close()
            return


class PgBouncer:
    """Debian's pgbouncer in transaction pooling mode in front of `server_url`, on a free port,
    from a generated ini and userlist."""

    USER = "moderation"
    PASSWORD = "bouncer-test-password"
    ADMIN = "bouncer_admin"

    def __init__(self, server_url: str, pool_size: int = 4) -> None:
        self.server = ServerAddress.of(server_url)
        self.port = free_port()
        self.pool_size = pool_size
        self.dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.log = self.dir / "pgbouncer.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return (f"postgresql://{self.USER}:{quote(self.PASSWORD)}@127.0.0.1:{self.port}/"
                f"{self.server.database}")

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.ADMIN}:{quote(self.PASSWORD)}@127.0.0.1:{self.port}/pgbouncer"

    def write_config(self) -> Path:
        server = self.server
        password = f" password={server.password}" if server.password else ""
        (self.dir / "userlist.txt").write_text(
            f'"{self.USER}" "{self.PASSWORD}"\n"{self.ADMIN}" "{self.PASSWORD}"\n')
        ini = self.dir / "pgbouncer.ini"
        ini.write_text(f"""[databases]
{server.database} = host={server.host} port={server.port} dbname={server.database} user={server.user}{password}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = md5
auth_file = {self.dir / "userlist.txt"}
admin_users = {self.ADMIN}
pool_mode = transaction
default_pool_size = {self.pool_size}
max_client_conn = 200
server_reset_query =
ignore_startup_parameters = extra_float_digits
""")
        self.dir.chmod(0o755)
        for path in self.dir.iterdir():
            path.chmod(0o644)
        return ini

    def run_as(self) -> list[str]:
        """pgbouncer refuses to run as root: then as the owner of the server's socket directory
        (who can reach the socket), else Debian's postgres user."""
        if os.geteuid() != 0:
            return []
        owner = "postgres"
        if self.server.host.startswith("/"):
            owner = pwd.getpwuid(os.stat(self.server.host).st_uid).pw_name
        return ["-u", owner]

    async def start(self) -> None:
        ini = self.write_config()
        self.process = spawn([PGBOUNCER, *self.run_as(), str(ini)], self.log)
        await wait_until_accepting(self.url, self.process, self.log)

    async def show(self, what: str) -> list[dict[str, str]]:
        """An admin console listing (SHOW STATS, SHOW POOLS…), read with psql: the console speaks
        only the simple query protocol."""
        psql = Path(binaries()) / "psql"
        output = await asyncio.to_thread(subprocess.run, [
            str(psql), self.admin_url, "--no-psqlrc", "-A", "-F", "\t", "-c", f"SHOW {what}"],
            capture_output=True, text=True, check=True, timeout=10)
        header, *rows = [line for line in output.stdout.splitlines() if "\t" in line]
        names = header.split("\t")
        return [dict(zip(names, row.split("\t"), strict=True)) for row in rows]

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            await asyncio.to_thread(self.process.wait, 10)
        shutil.rmtree(self.dir, ignore_errors=True)


def binaries() -> str:
    """The PostgreSQL programs the embedded server ships (initdb, pg_ctl, pg_basebackup, psql)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    return str(Path(pgserver.__file__).parent / "pginstall" / "bin")


def run_program(name: str, args: list[str], user: str | None, timeout: float = 60) -> None:
    """One of the embedded server's programs, as `user` (PostgreSQL refuses to run as root)."""
    subprocess.run([str(Path(binaries()) / name), *args], check=True, capture_output=True,
                   user=user, timeout=timeout)


class StreamingPair:
    """A primary and its streaming replica (pg_basebackup -R), each on a free 127.0.0.1 port,
    in a folder of their own; run by the embedded server's programs."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pg-pair-"))
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            binaries()  # imports pgserver quietly
            from pgserver.utils import ensure_user_exists

            self.user = "pgserver"
            entry = ensure_user_exists(self.user)
            assert entry is not None
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)

    def url(self, port: int) -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def pg_ctl(self, name: str, *args: str) -> None:
        run_program("pg_ctl", ["-D", str(self.dir / name), "-w", *args], self.user)

    def start_pair(self) -> None:
        primary = self.dir / "primary"
        run_program("initdb", ["-D", str(primary), "-U", "postgres", "--auth=trust",
                               "--encoding=utf8", "--no-sync"], self.user)
        with (primary / "postgresql.conf").open("a") as conf:
            # The test's data is thrown away: no fsync; two nodes on one small machine.
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.primary_port}\n"
                       "unix_socket_directories = ''\nfsync = off\nshared_buffers = 32MB\n"
                       "max_connections = 40\n")
        self.pg_ctl("primary", "-l", str(self.dir / "primary.log"), "start")
        replica = self.dir / "replica"
        run_program("pg_basebackup", ["-h", "127.0.0.1", "-p", str(self.primary_port),
                                      "-U", "postgres", "-D", str(replica), "-R",
                                      "-X", "stream", "--no-sync"], self.user)
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.replica_port}\n")
        self.start_replica()

    def start_replica(self) -> None:
        self.pg_ctl("replica", "-l", str(self.dir / "replica.log"), "start")

    def kill_replica(self) -> None:
        """Stops the replica at once, as a crash would."""
        self.pg_ctl("replica", "-m", "immediate", "stop")

    def stop(self) -> None:
        for name in ("replica", "primary"):
            if (self.dir / name / "postmaster.pid").exists():
                self.pg_ctl(name, "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
