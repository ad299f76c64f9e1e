"""schemathesis over /openapi.json against the real app and database: no 5xx, and every answer
(status, content type, body) is the one the document declares.

The app runs on the session's event loop (`make_client`); schemathesis is synchronous, so it runs
in a worker thread and talks to the server over HTTP. Generation is derandomized (a fixed seed per
test) with a bounded number of examples per operation, so a run is repeatable and short.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

import pytest

schemathesis = pytest.importorskip("schemathesis")
import requests  # noqa: E402  (schemathesis depends on it)
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_token, post_comment  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
POSITIVE = schemathesis.GenerationMode.POSITIVE
NEGATIVE = schemathesis.GenerationMode.NEGATIVE
# Examples per operation and pass (at most; small input spaces end sooner): ~40 operations,
# about 700 requests, ~20 s on 2 cores.
EXAMPLES = {POSITIVE: 12, NEGATIVE: 8}
KNOWN_EXAMPLES = 8


@dataclass
class Target:
    base_url: str
    site: str
    admin_token: str
    comment_id: str  # an existing comment, and its edit token, so the {id} routes go deep
    edit_token: str


@dataclass
class Run:
    problems: list[str] = field(default_factory=list)
    statuses: dict[str, Counter] = field(default_factory=dict)


def fuzz_operation(run: Run, session: requests.Session, target: Target, operation, mode,
                   examples: int, known_item: bool = False) -> None:
    secured = bool(operation.definition.raw.get("security"))
    path_parameters = {"site": target.site} if "{site}" in operation.path else {}
    headers = {}
    if known_item:
        path_parameters.update(id=target.comment_id)
        if "{kind}" in operation.path:
            path_parameters["kind"] = "comment"
        headers = {"X-Edit-Token": target.edit_token}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None,
                                     headers=headers or None)
    auth = {"Authorization": f"Bearer {target.admin_token}"} if secured else None

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case):
        response = case.call_and_validate(base_url=target.base_url, session=session, timeout=10,
                                          headers=auth, checks=CHECKS)
        run.statuses.setdefault(operation.label, Counter())[response.status_code] += 1

    try:
        check()
    except Unsatisfiable:
        pass  # nothing of this operation can be made invalid (its parameters are free strings)
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a BaseExceptionGroup
        label = f"{operation.label} [{mode.value}{', known item' if known_item else ''}]"
        run.problems.append(f"{label}: {''.join(traceback.format_exception_only(exc))[:4000]}")


def fuzz(schema, target: Target) -> Run:
    """Every operation with positive then negative data; the {id} routes once more with a real
    comment. Failures are collected per operation so one run reports all of them."""
    run = Run()
    with requests.Session() as session:
        # Event streams never end, so a request cannot read them whole: tests/live tests them.
        operations = [op for op in (result.ok() for result in schema.get_all_operations())
                      if "text/event-stream" not in str(op.definition.raw.get("responses"))]
        for operation in operations:
            for mode in (POSITIVE, NEGATIVE):
                fuzz_operation(run, session, target, operation, mode, EXAMPLES[mode])
        # Deleting the known comment would leave the others nothing to find: it goes last.
        for operation in sorted(operations, key=lambda op: op.method.upper() == "DELETE"):
            if "{id}" in operation.path:
                fuzz_operation(run, session, target, operation, POSITIVE, KNOWN_EXAMPLES,
                               known_item=True)
    return run


async def test_openapi_fuzz_finds_no_server_errors_and_no_schema_violations(make_client, new_site,
                                                                            pool):
    client = await make_client()
    site = await new_site()
    admin_token = await make_token(pool, site, "admin", "fuzzer")
    comment = await post_comment(client, site, thread="article-1")
    await post_comment(client, site, thread="article-1", parent_id=comment["id"])
    await make_token(pool, site, "moderator", "other")
    document = await (await client.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    target = Target(str(client.make_url("")).rstrip("/"), site, admin_token, comment["id"],
                    comment["edit_token"])
    started = time.monotonic()
    run = await asyncio.to_thread(fuzz, schema, target)
    elapsed = time.monotonic() - started
    print(f"\nfuzzed {sum(sum(c.values()) for c in run.statuses.values())} requests "
          f"in {elapsed:.1f}s")
    for label, statuses in run.statuses.items():
        print(f"  {label}: {dict(sorted(statuses.items()))}")
    assert not run.problems, "\n\n".join(run.problems)
    # A guard against the fuzzer silently testing nothing (e.g. every request rejected).
    assert len(run.statuses) >= 30
    assert any(200 in statuses or 202 in statuses for statuses in run.statuses.values())
