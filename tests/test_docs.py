"""The request bodies the docs show are ones the API accepts.

How it stays maintainable: every JSON-like code span (`{…}`) and every ```json block in README.md
and docs/*.md must be listed here, either as a request example with its endpoint or as something
else (an answer, an error). A new span or block fails `test_every_json_example_in_the_docs_is_listed`
until someone says which it is, so no example escapes the checks; an edited one fails until its
row is updated. Then:

- the field names of each request span (a name right after `{` or `,`, quoted or not, before `?`,
  `:`, `,` or `}`; values, alternatives such as `"spam"|"abuse"` and placeholders are not names)
  must be properties of the endpoint's request body in the served `/openapi.json`, nested fields
  anywhere in that body's schema. The schema comes from the same pydantic models the handlers
  parse with, and those refuse unknown fields (422), so a name missing there is a field the API
  refuses;
- the fields the docs name in prose for an endpoint are checked the same way;
- a ```json request block is real JSON: it is sent to a real site and must be accepted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import wait_for
from tests.factories import make_token, post_comment

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

SITE = "/v1/sites/{site}"
# (doc, method, OpenAPI path, the span as the doc shows it, whitespace collapsed)
REQUEST_SPANS = [
    ("README.md", "POST", SITE + "/comments/{id}/reports", "{reason, note?, sso_token?}"),
    ("README.md", "POST", SITE + "/authors/{author}/ratings",
     "{score: 1..5, rater?: {fingerprint}, sso_token?}"),
    ("moderation.md", "POST", SITE + "/queue/{kind}/{id}/decision",
     '{"action": "approve"|"reject", "reason": "…", "ban_commenter": false, "revision": 3}'),
    ("moderation.md", "POST", SITE + "/queue/decisions",
     '{"action": "reject", "items": [{"kind": "comment", "id": "12", "revision": 2}, …]}'),
    ("moderation.md", "POST", SITE + "/queue/decisions",
     '{"action": "reject", "commenter": "anon:…", "ban_commenter": true}'),
    ("moderation.md", "POST", SITE + "/comments/{id}/reports",
     '{"reason": "spam"|"abuse"|"off_topic"|"other", "note"?, "sso_token"?}'),
    ("moderation.md", "POST", SITE + "/commenters/{commenter}/ban",
     '{"duration_s"?: 86400, "reason": "…"}'),
    ("ratings.md", "POST", SITE + "/authors/{author}/ratings",
     "{score, rater?: {fingerprint}, sso_token?}"),
    ("rules.md", "PUT", SITE + "/wordlists/{name}", '{"words": [...]}'),
    ("rules.md", "POST", SITE + "/rules/dry-run", '{"banned": [...], "suspect": [...]}'),
    ("README.md", "POST", SITE + "/comments/{id}/appeal", "{note, sso_token?}"),
    ("moderation.md", "POST", SITE + "/commenters/{commenter}/ban",
     '{"duration_s"?: 86400, "reason": "…"}'),
    ("security.md", "PUT", SITE + "/settings",
     '{"per_address": n | null, "per_site": n | null, "window_s": 1..86400}'),
    ("sso.md", "POST", SITE + "/threads/{thread}/comments", '{"body": "…", "sso_token": "<token>"}'),
    ("README.md", "PUT", SITE + "/settings", "{enabled, max_votes: 10, window_s: 600}"),
    ("README.md", "PUT", SITE + "/settings", "{emails: [...], every_hours: 24}"),
    ("README.md", "POST", SITE + "/comments/{id}/votes", "{value: 1\\|-1\\|0, sso_token?}"),
    ("README.md", "PATCH", SITE + "/threads/{thread}", "{closed: true\\|false}"),
]
# Fields the docs name in running text rather than in a body: (doc, method, path, fields).
PROSE_FIELDS = [
    ("rules.md", "POST", SITE + "/rules/dry-run", ("settings", "wordlists", "limit")),
    # A rule's parameters are free-form in the schema (each rule validates its own): the
    # settings block of rules.md is sent for real below.
    ("rules.md", "PUT", SITE + "/settings", ("rules",)),
    ("security.md", "PUT", SITE + "/settings", ("rate_limits",)),
    ("ratings.md", "POST", SITE + "/authors/{author}/ratings", ("rater", "fingerprint", "sso_token")),
    ("readers.md", "POST", SITE + "/comments/{id}/votes", ("value", "sso_token")),
    ("readers.md", "PUT", SITE + "/settings", ("vote_flood", "max_votes", "window_s",
                                               "auto_close_days", "digest", "edit_window_s")),
    ("readers.md", "POST", SITE + "/threads/{thread}/comments", ("notify", "commenter", "email")),
    ("readers.md", "PATCH", SITE + "/threads/{thread}", ("closed",)),
]
# Spans that are answers or errors, not requests.
OTHER_SPANS = [
    ("README.md", '{"error": {"code", "message", "details"}}'),
    ("README.md", '{id, status:"pending", edit_token}'),
    ("README.md", "{comment, items, next_cursor}"),
    ("README.md", "{count, average, bayesian_average, histogram, confidence}"),

    ("ratings.md", '{id, status: "pending"}'),
    ("ratings.md", '{"ratings": {a: …, b: …}}'),
    ("rules.md", '{"field": "rules.flood.window_s", "type": "literal_error", …}'),
    ("README.md", "{up, down}"),
    ("README.md", "{thread, title, url, closed, total}"),
    ("readers.md", "{up, down}"),
]
# ```json blocks: (doc, position among the doc's json blocks) → request (method, path) or None.
JSON_BLOCKS = {
    ("ratings.md", 0): None,  # the rating answer
    ("rules.md", 0): ("PUT", SITE + "/settings"),
    ("rules.md", 1): ("PATCH", SITE + "/settings"),
    ("rules.md", 2): None,  # the dry-run answer
}

FIELD = re.compile(r'[{,]\s*"?([A-Za-z_]\w*)"?\??\s*(?=[:,}])')


def spans(doc: Path) -> list[str]:
    """The doc's inline code spans that hold an object, whitespace collapsed."""
    text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
    return [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", text)
            if span.lstrip().startswith("{")]


def json_blocks(doc: Path) -> list[str]:
    return re.findall(r"```json\n(.*?)```", doc.read_text(), flags=re.S)


def field_names(span: str) -> set[str]:
    return set(FIELD.findall(span))


def properties(schema: dict, components: dict, seen: frozenset = frozenset()) -> set[str]:
    """Every property name anywhere in a request body's schema, through $refs, lists and unions."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return set() if name in seen else properties(components[name], components, seen | {name})
    names = set(schema.get("properties", {}))
    children = [*schema.get("properties", {}).values(), *schema.get("anyOf", []),
                *schema.get("oneOf", []), *schema.get("allOf", [])]
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            children.append(schema[key])
    for child in children:
        names |= properties(child, components, seen)
    return names


def test_the_field_pattern_reads_names_not_values():
    assert field_names('{"reason": "spam"|"abuse"|"other", "note"?, "sso_token"?}') == {
        "reason", "note", "sso_token"}
    assert field_names("{score: 1..5, rater?: {fingerprint}, sso_token?}") == {
        "score", "rater", "fingerprint", "sso_token"}
    assert field_names('{"items": [{"kind": "comment", "id": "12"}, …], "x": n | null}') == {
        "items", "kind", "id", "x"}


def test_every_json_example_in_the_docs_is_listed():
    listed = {(doc, span) for doc, _, _, span in REQUEST_SPANS} | set(OTHER_SPANS)
    found = {(doc.name, span) for doc in DOCS for span in spans(doc)}
    assert found - listed == set(), "classify these spans in tests/test_docs.py (request or not)"
    assert listed - found == set(), "these listed spans are no longer in the docs: update the rows"
    blocks = {(doc.name, n) for doc in DOCS for n, _ in enumerate(json_blocks(doc))}
    assert blocks == set(JSON_BLOCKS), "classify the docs' ```json blocks in JSON_BLOCKS"


async def test_every_field_the_docs_name_in_a_request_is_in_the_openapi_request_body(client):
    document = await (await client.get("/openapi.json")).json()
    components = document["components"]["schemas"]

    def accepted(method: str, path: str) -> set[str]:
        body = document["paths"][path][method.lower()]["requestBody"]
        return properties(body["content"]["application/json"]["schema"], components)

    unknown = []
    for doc, method, path, span in REQUEST_SPANS:
        unknown += [(doc, method, path, name) for name in sorted(field_names(span) - accepted(method, path))]
    for doc, method, path, names in PROSE_FIELDS:
        assert all(name in (ROOT / "docs" / doc).read_text() for name in names), (doc, names)
        unknown += [(doc, method, path, name) for name in names if name not in accepted(method, path)]
    assert unknown == [], "the docs offer fields the API refuses (422)"


async def test_the_json_request_blocks_of_the_docs_are_accepted(client, site, pool):
    token = await make_token(pool, site, "admin", "docs")
    for (doc, n), request in JSON_BLOCKS.items():
        if request is None:
            continue
        method, path = request
        body = json.loads(json_blocks(ROOT / "docs" / doc)[n])
        response = await client.request(method, path.format(site=site), json=body,
                                        headers={"Authorization": f"Bearer {token}"})
        assert response.status == 200, (doc, n, await response.text())


async def test_a_report_takes_the_documented_fields_and_refuses_a_fingerprint(client, site, pool):
    created = await post_comment(client, site, thread="t")
    await wait_for(lambda: pool.fetchval("SELECT status = 'approved' FROM comments WHERE site_id = $1 "
                                         "AND comment_id = $2", site, int(created["id"])))
    reports = f"/v1/sites/{site}/comments/{created['id']}/reports"
    refused = await client.post(reports, json={"reason": "spam", "fingerprint": "abc"})
    assert refused.status == 422
    details = (await refused.json())["error"]["details"]
    assert [(d["field"], d["type"]) for d in details] == [("fingerprint", "extra_forbidden")]
    accepted = await client.post(reports, json={"reason": "off_topic", "note": "not about the summit"})
    assert accepted.status == 202, await accepted.text()
    assert await pool.fetchval("SELECT note FROM reports WHERE site_id = $1 AND comment_id = $2",
                               site, int(created["id"])) == "not about the summit"
