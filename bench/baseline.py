"""The baselines of SPEC's targets: bare aiohttp handlers doing the least possible work.

- POST /insert: parse JSON, one asyncpg INSERT, answer 202 (the floor for accepting a comment).
- GET /page:    one keyset SELECT of 50 rows, answer JSON (the floor for reading a thread).
- GET /json:    a constant JSON answer (the floor for reading an author's rating as deployed,
                answered from memory).
- GET /row:     one row read by its primary key, answer JSON (the floor for reading an author's
                rating with nothing shared: one round trip for one row).

It runs on the same event loop as `moderation serve` (EVENT_LOOP, uvloop unless set to asyncio),
so a ratio compares the work per request, not the loops.
"""

from __future__ import annotations

import os

import asyncpg
import orjson
from aiohttp import web

POOL = web.AppKey("pool", asyncpg.Pool)

SCHEMA = """
CREATE TABLE IF NOT EXISTS baseline_comments (
    site_id text NOT NULL, comment_id bigint GENERATED ALWAYS AS IDENTITY, thread text NOT NULL,
    author_name text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, comment_id));
CREATE INDEX IF NOT EXISTS baseline_page ON baseline_comments (site_id, thread, created_at, comment_id);
"""


async def insert(request: web.Request) -> web.Response:
    body = orjson.loads(await request.read())
    row = await request.app[POOL].fetchrow(
        "INSERT INTO baseline_comments (site_id, thread, author_name, body) VALUES ($1, $2, $3, $4) "
        "RETURNING comment_id, created_at", "bench", "t", body["commenter"]["name"], body["body"])
    return web.Response(status=202, content_type="application/json", body=orjson.dumps(
        {"id": str(row["comment_id"]), "status": "pending", "created_at": row["created_at"]}))


async def page(request: web.Request) -> web.Response:
    rows = await request.app[POOL].fetch(
        "SELECT comment_id, author_name, body, created_at FROM baseline_comments "
        "WHERE site_id = $1 AND thread = $2 ORDER BY created_at, comment_id LIMIT 50", "bench", "read")
    return web.Response(content_type="application/json", body=orjson.dumps(
        {"items": [{"id": str(r["comment_id"]), "author": r["author_name"], "body": r["body"],
                    "created_at": r["created_at"]} for r in rows]}))


async def one_row(request: web.Request) -> web.Response:
    row = await request.app[POOL].fetchrow(
        "SELECT comment_id, author_name, body, created_at FROM baseline_comments "
        "WHERE site_id = $1 AND comment_id = $2", "bench", 1)
    return web.Response(content_type="application/json", body=orjson.dumps(
        {"id": str(row["comment_id"]), "author": row["author_name"], "body": row["body"],
         "created_at": row["created_at"]}))


async def constant(request: web.Request) -> web.Response:
    return web.Response(content_type="application/json", body=orjson.dumps(
        {"author": "killian-jones", "count": 0, "average": None}))


async def pool_ctx(app: web.Application):
    app[POOL] = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10)
    await app[POOL].execute(SCHEMA)
    yield
    await app[POOL].close()


def main() -> None:
    app = web.Application()
    app.cleanup_ctx.append(pool_ctx)
    app.router.add_post("/insert", insert)
    app.router.add_get("/page", page)
    app.router.add_get("/json", constant)
    app.router.add_get("/row", one_row)
    loop = None
    if os.environ.get("EVENT_LOOP", "uvloop") == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    web.run_app(app, host="127.0.0.1", port=int(os.environ["PORT"]), print=None, access_log=None,
                loop=loop)


if __name__ == "__main__":
    main()
