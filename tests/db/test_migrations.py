"""Migrations: applied to an empty database in order, each once, safely from two processes at once."""

from __future__ import annotations

import asyncio
import json

import asyncpg

from moderation.db import migrations


async def connect_to(database_url: str, name: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url, database=name)


async def test_applies_every_file_once_in_order(database_url, empty_database):
    conn = await connect_to(database_url, empty_database)
    try:
        applied = await migrations.migrate(conn)
        assert [m.version for m in applied] == sorted(m.version for m in migrations.available())
        assert await migrations.migrate(conn) == []
        recorded = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in recorded] == [m.version for m in applied]
        assert await migrations.pending(conn) == []
    finally:
        await conn.close()


async def test_two_processes_migrating_together_do_not_collide(database_url, empty_database):
    first = await connect_to(database_url, empty_database)
    second = await connect_to(database_url, empty_database)
    try:
        results = await asyncio.gather(migrations.migrate(first), migrations.migrate(second))
        assert sorted(len(r) for r in results) == [0, len(migrations.available())]
    finally:
        await first.close()
        await second.close()


async def test_every_table_leads_with_site_id(pool):
    rows = await pool.fetch("""
        SELECT c.relname AS table_name, a.attname AS first_key_column
          FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
         WHERE i.indisprimary AND c.relname <> 'schema_migrations'""")
    assert rows, "no tables found"
    assert {r["table_name"]: r["first_key_column"] for r in rows} == \
        {r["table_name"]: "site_id" for r in rows}


async def test_0008_keeps_only_real_origins_of_sites_stored_before(database_url, empty_database):
    conn = await connect_to(database_url, empty_database)
    try:
        await conn.execute(migrations.CREATE_TABLE)
        for migration in migrations.available()[:7]:  # the schema before sql/0008
            await conn.execute(migration.sql)
            await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                               migration.version, migration.name)
        await conn.execute(
            "INSERT INTO sites (site_id, name, settings) VALUES ('old', 'old', $1::jsonb)",
            '{"allowed_origins": ["https://News.example", "null", "*", "https://a.example/",'
            ' "http://localhost:8080", "https://news.example", "http://x.example:70000"]}')
        await migrations.migrate(conn)
        kept = await conn.fetchval("SELECT settings->'allowed_origins' FROM sites")
        assert sorted(json.loads(kept)) == ["http://localhost:8080", "https://news.example"]
    finally:
        await conn.close()
