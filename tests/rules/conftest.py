"""Fixtures of the rule tests that need a database of their own."""

from __future__ import annotations

import asyncpg
import pytest

from moderation.db import migrations


@pytest.fixture
async def own_database(database_url, empty_database):
    """A connection to a migrated database of its own: the other tests' comments do not dilute
    the statistics a planner test sets up."""
    conn = await asyncpg.connect(database_url, database=empty_database)
    try:
        await migrations.migrate(conn)
        yield conn
    finally:
        await conn.close()
