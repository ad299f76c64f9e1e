"""CPU time read from /proc (Linux): of one process, of a PostgreSQL server, of the whole machine.

On a shared machine requests/s move with the neighbours; CPU time per request or per comment
moves far less, and it is what the API, the workers, PostgreSQL and the load generator compete for.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int | str) -> list[str]:
    """/proc/PID/stat after the command name: [0] state, [1] parent pid, [11] utime, [12] stime."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds a process has used so far."""
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_cpu_s(postmaster: int) -> float:
    """CPU seconds of the postmaster and its children: backends, writers, autovacuum."""
    total = cpu_s(postmaster)
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = stat_fields(proc.name)
            if int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, ValueError):
            continue  # a process that ended meanwhile
    return total


async def postmaster_of(conn) -> int:
    """The PostgreSQL server process behind a connection (the parent of its backend)."""
    return int(stat_fields(await conn.fetchval("SELECT pg_backend_pid()"))[1])


def machine_s() -> tuple[float, float]:
    """(all CPU seconds, idle CPU seconds) of the machine so far, over every core."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) / TICKS, (values[3] + values[4]) / TICKS  # idle + iowait
