"""Schemathesis against the HTTP door's own OpenAPI schema (PostgreSQL, small organisation, in process).

Every operation is fuzzed with requests that fit its schema (positive) and requests that break it (negative).
Whatever arrives: never a 5xx; every 4xx names each violation's field and rule, in Chinese; and a refused request
leaves every table as it was. Half of the positive requests are steered past the door's identity checks (a real
account, the signed-in author, a post that exists, a time that can be scheduled) so that the domain's own checks
see fuzzed text too. ``HERALD_FUZZ=long`` (``make fuzz``) runs many more examples per operation.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from builders import table_snapshot
from door_fuzz import assert_readable, good_post

pytestmark = [pytest.mark.pg, pytest.mark.integrity]

EXAMPLES = 1000 if os.environ.get("HERALD_FUZZ") == "long" else 30
# The door's operations: a route added without being listed here fails test_every_operation_is_fuzzed.
OPERATIONS = [
    ("POST", "/posts"),
    ("POST", "/releases"),
    ("GET", "/posts/{post_id}"),
    ("POST", "/posts/{post_id}/decisions"),
    ("PATCH", "/posts/{post_id}"),
    ("POST", "/posts/{post_id}/manual-confirmation"),
    ("GET", "/findings"),
    ("GET", "/findings/{finding_id}"),
    ("POST", "/findings/{finding_id}/acknowledgements"),
    ("POST", "/findings/{finding_id}/resolutions"),
    ("GET", "/packs"),
    ("GET", "/packs/index.json"),
    ("GET", "/packs/{year}/{stamp}/{subject}/{path}"),
    ("GET", "/packs/{year}/{stamp}/{subject}/verify"),
    ("POST", "/accounts/applications"),
    ("POST", "/accounts/applications/import"),
    ("GET", "/accounts/applications/template"),
    ("GET", "/accounts/applications"),
    ("GET", "/accounts/applications/{application_id}"),
    ("POST", "/accounts/applications/{application_id}/decisions"),
    ("POST", "/accounts/{account_id}/changes"),
    ("GET", "/accounts/{account_id}/changes"),
    ("POST", "/changes/{change_id}/filing"),
    ("POST", "/accounts/{account_id}/handovers"),
    ("POST", "/accounts/{account_id}/delegations"),
    ("POST", "/delegations/{delegation_id}/decisions"),
    ("POST", "/delegations/{delegation_id}/revocation"),
    ("POST", "/delegations/{delegation_id}/posts"),
    ("GET", "/delegations/{delegation_id}"),
    ("POST", "/complaints"),
    ("GET", "/complaints"),
    ("GET", "/complaints/{complaint_id}"),
    ("POST", "/complaints/{complaint_id}/assignment"),
    ("POST", "/complaints/{complaint_id}/answer"),
    ("POST", "/complaints/{complaint_id}/follow-up"),
]
ACCOUNTS = ["WB-GROUP", "WX-GROUP", "WX-OFFICE", "WB-SUB", "QQ-SUB", "WB-SUSPENDED"]
AUTHOR_LOGIN = "zhou.yunying"  # the small organisation's author2: drafts for the group and the subsidiary


@pytest.fixture
def door(api):
    """The door's schema as the app serves it, signed in as an author, with one post queued and one complaint
    registered (their ids steer half the cases of the routes that take them to a record that exists)."""
    from herald_airflow import api as herald_api

    client = api(AUTHOR_LOGIN)
    queued = client.post("/posts", json={k: v for k, v in good_post().items() if k != "author_id"})
    assert queued.status_code == 201, queued.text
    complaint = client.post("/complaints", json={"account_id": "WB-GROUP", "content": "客服电话一直打不通",
                                                 "channel": "comment", "received_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()})
    assert complaint.status_code == 201, complaint.text
    existing = {"post_id": queued.json()["post_id"], "complaint_id": complaint.json()["complaint_id"]}
    return schemathesis.openapi.from_asgi("/openapi.json", herald_api.app), existing


def test_every_operation_is_fuzzed(door):
    schema, _ = door
    assert {(result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()} == set(OPERATIONS)


def _steer(case, account_ids: list[str], on_time: bool):
    """Past the identity checks: real accounts, no author or approver claimed (the signed-in person is), a good time."""
    body: Any = case.body
    if not isinstance(body, dict):
        return case
    for person in ("author_id", "approver_id"):
        body.pop(person, None)
    if isinstance(body.get("base"), dict):
        body["base"].pop("author_id", None)
    if "account_id" in body or case.operation.path == "/posts":
        body["account_id"] = account_ids[0]
    if "account_ids" in body:
        body["account_ids"] = account_ids
    for fields in (body, body.get("base")):
        if on_time and isinstance(fields, dict) and "publish_at" in fields:
            fields["publish_at"] = good_post()["publish_at"]
    return case


def _cases(operation, mode: GenerationMode, existing: dict[str, str]):
    cases = operation.as_strategy(generation_mode=mode)
    for name, value in existing.items():
        if "{" + name + "}" in operation.path:
            cases = cases | operation.as_strategy(generation_mode=mode, path_parameters={name: value})
    if mode is GenerationMode.POSITIVE:
        steered = st.tuples(cases, st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=3, unique=True),
                            st.booleans())
        cases = cases | steered.map(lambda drawn: _steer(*drawn))
    return cases


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_request_breaks_the_door_or_half_writes(door, pg_db, method, path, mode):
    schema, existing = door

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=EXAMPLES < 100,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(case=_cases(schema[path][method], mode, existing))
    def request_is_answered(case):
        before = table_snapshot(pg_db)
        response = case.call()
        request = case.as_curl_command()
        assert response.status_code < 500, f"{request}\n-> {response.status_code} {response.text[:2000]}"
        if response.status_code >= 400:
            assert_readable(response.json()["violations"], request)
            assert table_snapshot(pg_db) == before, request

    request_is_answered()
