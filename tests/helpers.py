"""Helpers shared by the tests: auth headers, reading /metrics, stopping and starting an embedded
PostgreSQL."""

from __future__ import annotations

from typing import Any


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus' text format, 0 when absent."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def pg_ctl(server: Any, action: str, timeout: int = 30) -> None:
    """Stops ("stop") or starts ("start") a pgserver PostgreSQL, waiting until it has."""
    from pgserver._commands import pg_ctl as run

    args = ["-w", "-m", "fast", "stop"] if action == "stop" else \
        ["-w", "-o", '-h ""', "-o", f"-k {server.get_postmaster_info().socket_dir}",
         "-l", str(server.log), "start"]
    run(args, pgdata=server.pgdata, user=server.system_user, timeout=timeout)
