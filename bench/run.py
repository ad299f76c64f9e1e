"""Load runs against the service and, in the same run, the bare baselines of SPEC's targets.

Usage: .venv/bin/python bench/run.py [--seconds 10] [--connections 32]
Traffic goes to 127.0.0.1 only and every run is bounded by --seconds. Needs `wrk` (Debian).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moderation import database  # noqa: E402

POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  local body = '{"body": "A measured comment about the summit, number ' .. counter ..
    '.", "commenter": {"name": "Bench reader"}}'
  return wrk.format(nil, nil, nil, body)
end
"""

SEED_THREAD = """
WITH t AS (INSERT INTO threads (site_id, thread) VALUES ('bench', 'read') ON CONFLICT DO NOTHING),
m AS (INSERT INTO commenters (site_id, commenter, name) VALUES ('bench', 'anon:bench', 'Reader')
      ON CONFLICT DO NOTHING)
INSERT INTO comments (site_id, thread, commenter, author_name, body, status, created_at)
SELECT 'bench', 'read', 'anon:bench', 'Reader', 'Seeded comment number ' || n || ' with some text.',
       'approved', now() - make_interval(secs => 1000 - n)
  FROM generate_series(1, 200) n"""

SEED_BASELINE = """
INSERT INTO baseline_comments (site_id, thread, author_name, body, created_at)
SELECT 'bench', 'read', 'Reader', 'Seeded comment number ' || n || ' with some text.',
       now() - make_interval(secs => 1000 - n)
  FROM generate_series(1, 200) n"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
                if s.recv(64)[8:13] == b" 200 ":
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not come up")


@contextmanager
def server(args: list[str], env: dict[str, str], port: int, ready_path: str):
    process = subprocess.Popen(args, env={**os.environ, **env, "PORT": str(port)}, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_http(port, ready_path)
        yield process
    finally:
        process.terminate()
        process.wait(15)


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        if script:
            f.write(script)
            args[1:1] = ["-s", f.name]
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    latency = {p: to_ms(v) for p, v in re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", out)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": latency.get("50"), "p99_ms": latency.get("99"),
            "non_2xx": int(errors[1]) if errors else 0}


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def report(name: str, ours: dict, baseline: dict, target: float) -> None:
    ratio = ours["rps"] / baseline["rps"]
    verdict = "meets" if ratio >= target else "MISSES"
    print(f"{name:<28} {ours['rps']:>9.0f} req/s  p50 {ours['p50_ms']:.2f} ms  p99 {ours['p99_ms']:.2f} ms"
          f"  | baseline {baseline['rps']:>9.0f} req/s  ratio {ratio:.2f}  ({verdict} target {target:.2f})"
          + (f"  non-2xx {ours['non_2xx']}" if ours["non_2xx"] else ""))


async def prepare(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SEED_THREAD)
        await conn.execute("UPDATE threads SET approved_count = 200 WHERE site_id = 'bench'")
        await conn.execute(SEED_BASELINE)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk: apt-get install wrk")

    data_dir = Path(tempfile.mkdtemp(prefix="moderation-bench-"))
    url = os.environ.get("DATABASE_URL") or database.embedded_url(data_dir)
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-0123456789", "WORKERS": "0",
           "LOG_LEVEL": "WARNING", "DEMO_SITE": "false"}
    python = sys.executable
    subprocess.run([python, "-m", "moderation", "site", "create", "bench"], env={**os.environ, **env},
                   cwd=ROOT, check=True, capture_output=True)
    ours_port, base_port = free_port(), free_port()
    s, c = options.seconds, options.connections
    with server([python, "bench/baseline.py"], env, base_port, "/json"), \
            server([python, "-m", "moderation", "serve"], env, ours_port, "/healthz"):
        asyncio.run(prepare(url))
        print(f"{s} s per run, {c} connections, wrk -t1, API process without workers\n")
        base_post = wrk(f"http://127.0.0.1:{base_port}/insert", s, c, POST_LUA)
        ours_post = wrk(f"http://127.0.0.1:{ours_port}/v1/sites/bench/threads/t/comments", s, c,
                        POST_LUA)
        report("accept a comment (POST 202)", ours_post, base_post, 0.90)
        base_page = wrk(f"http://127.0.0.1:{base_port}/page", s, c)
        ours_page = wrk(f"http://127.0.0.1:{ours_port}/v1/sites/bench/threads/read/comments?limit=50",
                        s, c)
        report("read a thread page of 50", ours_page, base_page, 0.80)


if __name__ == "__main__":
    main()
