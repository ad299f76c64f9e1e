"""docs/scaling.md's Citus layout kept true to the schema (no Citus here): every table of the
migrated database is listed once with its distribution, the SQL block distributes exactly the
tables the list says, every distributed table is keyed, uniquely indexed and referenced through
site_id, and the statement and row triggers the page names are those the schema has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "scaling.md"

TABLES = """
SELECT c.relname AS name,
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM pg_index i
          CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(att, ord)
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.att
         WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'site_id'
                  AND NOT a.attisdropped) AS has_site_id
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"""

# Unique indexes as (table, index, columns); an expression column is NULL.
UNIQUE_INDEXES = """
SELECT t.relname AS table_name, ix.relname AS index_name,
       array_agg(a.attname ORDER BY k.ord) AS columns
  FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ix ON ix.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(att, ord)
  LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.att
 WHERE n.nspname = current_schema() AND i.indisunique
 GROUP BY 1, 2"""

# Foreign keys as (from table, its columns, to table, their columns).
FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text AS from_table, c.confrelid::regclass::text AS to_table,
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(att, ord)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att) AS from_columns,
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(att, ord)
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att) AS to_columns
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE c.contype = 'f' AND n.nspname = current_schema()"""

TRIGGERS = """
SELECT t.tgname AS name, (t.tgtype & 1) = 1 AS per_row
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND n.nspname = current_schema()"""


def citus_section() -> str:
    text = DOC.read_text()
    return text[text.index("## Citus by `site_id`"):]


def documented_tables() -> dict[str, str]:
    """Table -> its 'Citus' column, from the page's table of every table."""
    section = citus_section()
    listing = section[section.index("### Every table"):section.index("```sql")]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", listing, re.M)
    names = [name for name, _ in rows]
    assert len(names) == len(set(names)), "a table is listed twice"
    return {name: kind.strip() for name, kind in rows}


def distribution_statements() -> tuple[set[str], set[str]]:
    """(reference tables, distributed tables) of the page's SQL block."""
    section = citus_section()
    block = section[section.index("```sql"):]
    block = block[:block.index("```\n", 6)]
    references = set(re.findall(r"create_reference_table\('(\w+)'\)", block))
    distributed = set(re.findall(r"create_distributed_table\('(\w+)', 'site_id'", block))
    anchors = re.findall(r"create_distributed_table\('(\w+)', 'site_id'\);", block)
    colocated = re.findall(r"create_distributed_table\('\w+', 'site_id', "
                           r"colocate_with => '(\w+)'\)", block)
    assert anchors == ["threads"] and set(colocated) == {"threads"}, "one colocation group"
    return references, distributed


@pytest.fixture
async def schema(pool) -> dict:
    return {
        "tables": {r["name"]: r for r in await pool.fetch(TABLES)},
        "unique": await pool.fetch(UNIQUE_INDEXES),
        "foreign_keys": await pool.fetch(FOREIGN_KEYS),
        "triggers": {r["name"]: r["per_row"] for r in await pool.fetch(TRIGGERS)},
    }


async def test_every_table_is_listed_once_with_the_distribution_the_sql_gives_it(schema):
    listed = documented_tables()
    assert set(listed) == set(schema["tables"])
    references, distributed = distribution_statements()
    assert references == {t for t, kind in listed.items() if kind == "reference"} == {"sites"}
    assert distributed == {t for t, kind in listed.items() if kind.startswith("distributed")}
    local = {t for t, kind in listed.items() if kind.startswith("local")}
    assert local == {"schema_migrations"}
    assert references | distributed | local == set(listed)


async def test_distributed_tables_are_keyed_indexed_and_referenced_through_site_id(schema):
    _, distributed = distribution_statements()
    for name in distributed:
        table = schema["tables"][name]
        assert table["has_site_id"], name
        assert table["primary_key"][0] == "site_id", (name, table["primary_key"])
    for index in schema["unique"]:
        if index["table_name"] in distributed:
            assert "site_id" in index["columns"], dict(index)
    for key in schema["foreign_keys"]:
        if key["from_table"] not in distributed:
            continue
        if key["to_table"] in distributed:  # colocated: the key goes through site_id
            pair = list(zip(key["from_columns"], key["to_columns"], strict=True))
            assert ("site_id", "site_id") in pair, dict(key)
        else:
            assert key["to_table"] == "sites" and key["from_columns"] == ["site_id"], dict(key)


async def test_the_triggers_the_page_names_are_the_schemas(schema):
    section = citus_section()
    changes = section[section.index("### What must change first"):
                      section.index("### Measured, step by step")]
    statement_part = changes[changes.index("**Statement triggers.**"):
                             changes.index("The row triggers")]
    row_part = changes[changes.index("The row triggers"):changes.index("**Site-wide reads")]
    named_statement = set(re.findall(r"`(\w+)`", statement_part)) & set(schema["triggers"])
    named_row = set(re.findall(r"`(\w+)`", row_part)) & set(schema["triggers"])
    assert named_statement == {n for n, per_row in schema["triggers"].items() if not per_row}
    assert named_row == {n for n, per_row in schema["triggers"].items() if per_row}
