"""The operator's command line: sites, tokens, migrations, and clear configuration errors."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

from moderation.identity.signing import token_hash


async def run_cli(database_url: str, *args: str, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "moderation", *args,
        env={**os.environ, "DATABASE_URL": database_url, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def test_site_and_token_creation(database_url, pool):
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    code, out, _ = await run_cli(database_url, "site", "create", slug, "--origin",
                                 "https://a.example", "--origin", "https://b.example")
    assert code == 0, out
    assert await pool.fetchval("SELECT settings->'allowed_origins' FROM sites WHERE site_id = $1",
                               slug) == ["https://a.example", "https://b.example"]
    code, _, err = await run_cli(database_url, "site", "create", slug)
    assert code == 1 and "already exists" in err

    code, out, _ = await run_cli(database_url, "token", "create", "--site", slug, "--role", "admin")
    assert code == 0
    token = out.strip().splitlines()[-1]
    assert await pool.fetchval("SELECT role FROM tokens WHERE site_id = $1 AND token_hash = $2",
                               slug, token_hash(token)) == "admin"
    code, _, err = await run_cli(database_url, "token", "create", "--site", "nope", "--role", "admin")
    assert code == 1 and "no site" in err


async def test_migrate_reports_an_up_to_date_database(database_url, pool):
    code, out, _ = await run_cli(database_url, "migrate")
    assert code == 0 and "up to date" in out


async def test_invalid_configuration_fails_with_one_clear_line(database_url):
    code, out, err = await run_cli(database_url, "serve", PORT="not-a-port")
    assert code == 2
    assert err.strip().count("\n") == 0 and "PORT" in err
    code, _, err = await run_cli(database_url, "serve", SECRET_KEY="")
    assert code == 2 and "SECRET_KEY" in err


async def test_a_revoked_token_stops_working(database_url, pool, site, client):
    code, out, _ = await run_cli(database_url, "token", "create", "--site", site, "--role", "admin")
    token = out.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get(f"/v1/sites/{site}/settings", headers=headers)).status == 200
    code, out, _ = await run_cli(database_url, "token", "revoke", "--site", site, token)
    assert code == 0 and "revoked" in out
    assert (await client.get(f"/v1/sites/{site}/settings", headers=headers)).status == 401
    code, _, err = await run_cli(database_url, "token", "revoke", "--site", site, token)
    assert code == 1


def test_serve_and_worker_run_on_the_configured_event_loop():
    from moderation.cli import run_long
    from tests.conftest import make_config

    seen = []

    async def which_loop() -> None:
        seen.append(type(asyncio.get_running_loop()).__module__.split(".")[0])

    run_long(make_config(event_loop="uvloop"), which_loop())
    run_long(make_config(event_loop="asyncio"), which_loop())
    assert seen == ["uvloop", "asyncio"]
