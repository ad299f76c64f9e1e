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

    code, out, _ = await run_cli(database_url, "token", "create", "--site", slug, "--role", "admin",
                                 "--label", "ada")
    assert code == 0
    token = out.strip().splitlines()[-1]
    assert await pool.fetchval("SELECT role FROM tokens WHERE site_id = $1 AND token_hash = $2",
                               slug, token_hash(token)) == "admin"
    code, _, err = await run_cli(database_url, "token", "create", "--site", "nope", "--role", "admin",
                                 "--label", "ada")
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
    code, out, _ = await run_cli(database_url, "token", "create", "--site", site, "--role", "admin",
                                 "--label", "ada")
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


async def test_each_token_has_its_own_label_so_the_audit_says_who(database_url, pool, site):
    async def create(*label: str):
        return await run_cli(database_url, "token", "create", "--site", site, "--role",
                             "moderator", *label)

    code, _, err = await create()
    assert code == 2 and "--label" in err
    code, _, err = await create("--label", "  ")
    assert code == 2 and "label" in err
    code, out, _ = await create("--label", "Mona Lisa")
    assert code == 0
    first = out.strip().splitlines()[-1]
    code, _, err = await create("--label", "Mona Lisa")
    assert code == 1 and "labelled 'Mona Lisa' already" in err
    # A revoked token's label may be given again (the same person's new token).
    assert (await run_cli(database_url, "token", "revoke", "--site", site, first))[0] == 0
    assert (await create("--label", "Mona Lisa"))[0] == 0
    labels = await pool.fetch("SELECT label FROM tokens WHERE site_id = $1", site)
    assert sorted(r["label"] for r in labels) == ["Mona Lisa", "Mona Lisa"]


async def test_0008_numbers_tokens_that_shared_a_label(database_url, empty_database):
    import asyncpg

    from moderation.db import migrations
    conn = await asyncpg.connect(database_url, database=empty_database)
    try:
        await conn.execute(migrations.CREATE_TABLE)
        for migration in migrations.available()[:7]:
            await conn.execute(migration.sql)
            await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                               migration.version, migration.name)
        await conn.execute("INSERT INTO sites (site_id, name) VALUES ('old', 'old')")
        await conn.execute("""
            INSERT INTO tokens (site_id, token_hash, role, label, created_at, revoked_at)
            VALUES ('old', 'a', 'moderator', 'moderator', now() - interval '3 days', NULL),
                   ('old', 'b', 'moderator', 'moderator', now() - interval '2 days', NULL),
                   ('old', 'c', 'moderator', 'moderator', now() - interval '1 day', now()),
                   ('old', 'd', 'admin', 'admin', now(), NULL)""")
        await migrations.migrate(conn)
        rows = await conn.fetch("SELECT token_hash, label FROM tokens ORDER BY token_hash")
        assert [r["label"] for r in rows] == ["moderator", "moderator-2", "moderator", "admin"]
    finally:
        await conn.close()
