"""The HTTP door refuses malformed requests with 400/422, fields and rules named, and writes nothing (PostgreSQL)."""

from __future__ import annotations

import pytest

from builders import table_snapshot

pytestmark = [pytest.mark.pg, pytest.mark.integrity]

GOOD = {"account_id": "WB-GROUP", "body": "正文 https://example.com/a", "publish_at": "2027-06-15T09:00:00+08:00"}


@pytest.mark.parametrize("content, status, field, rule", [
    (b"[1, 2]", 400, "请求", "格式"),
    (b'{"a":' * 40 + b"1" + b"}" * 40, 400, "请求", "格式"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "请求", "格式"),
    (b"", 400, "请求", "格式"),
    (b"{not json", 400, "请求", "格式"),
    ('{"body": "中文"}'.encode("utf-16"), 400, "请求", "格式"),
    (b'{"account_id": 7, "body": "x", "publish_at": "2027-06-15T09:00:00+08:00"}', 422, "account_id", "格式"),
    (b'{"account_id": "WB-GROUP", "body": "x", "publish_at": 1767225600}', 422, "publish_at", "格式"),
    (b'{"account_id": "WB-GROUP", "body": "x\\u0000", "publish_at": "2027-06-15T09:00:00+08:00"}', 422, "body", "格式"),
    (b'{"account_id": "WB-GROUP", "body": "\\ud800", "publish_at": "2027-06-15T09:00:00+08:00"}', 422, "body", "格式"),
    (b'{"account_id": "WB-GROUP", "body": "x", "publish_at": "9999-12-31T23:59:59-12:00"}', 422, "publish_at", "CON-10"),
    (b'{"account_id": "WB-GROUP", "publish_at": "2027-06-15T09:00:00+08:00"}', 422, "body", "CON-1"),
])
def test_malformed_posts_are_refused_and_nothing_is_written(api, pg_db, content, status, field, rule):
    before = table_snapshot(pg_db)
    response = api("li.xinxi").post("/posts", content=content, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    violations = response.json()["violations"]
    assert (field, rule) in [(v["field"], v["rule_id"]) for v in violations]
    assert all(not v["message"].isascii() for v in violations)  # in Chinese
    assert table_snapshot(pg_db) == before


def test_path_parameters_are_typed(api):
    response = api("li.xinxi").get("/posts/bad%20id")
    assert response.status_code == 422 and response.json()["violations"][0]["field"] == "post_id"
    assert api("li.xinxi").get("/posts/no-such-post").status_code == 404


def test_the_openapi_schema_shows_every_field_of_each_request(api):
    schemas = api("li.xinxi").get("/openapi.json").json()["components"]["schemas"]
    for model, fields in {"PostIn": ["account_id", "body", "publish_at", "media"],
                          "ReleaseIn": ["account_ids", "base", "variants"],
                          "DecisionIn": ["decision", "content_hash"]}.items():
        properties = schemas[model]["properties"]
        assert set(fields) <= set(properties)
        assert all(properties[name].get("description") for name in fields)


def test_an_unreachable_database_is_503_with_an_error_id_and_no_trace(api, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_DB", "postgresql://nobody@127.0.0.1:1/none")
    response = api("li.xinxi").post("/posts", json=GOOD)
    assert response.status_code == 503
    body = response.json()
    assert body["error_id"].startswith("E") and body["error_id"] in body["message"] and "Traceback" not in response.text


def test_the_interactive_docs_are_served_from_local_files(api):
    """The docs page loads Swagger UI from the door itself, never from a CDN (nothing here reaches one)."""
    client = api("li.xinxi")
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn" not in page.text.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/docs-assets/{asset}" in page.text
        assert client.get(f"/docs-assets/{asset}").status_code == 200
