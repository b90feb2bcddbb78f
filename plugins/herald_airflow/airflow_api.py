"""A small client for Airflow's own REST API (``/api/v2``), for what tasks may not do through the ORM.

Tasks cannot touch Airflow's metadata database in Airflow 3; where Herald must read or change
Airflow's records (open human-in-the-loop requests, a task instance's state), it goes through the
public REST API as a named user. The user and the API's address come from the
``herald_airflow_api`` connection: ``host`` is the API base URL (``http://host:8080``; a bare
host name plus ``port`` also works), ``login``/``password`` the user, whose role must allow
editing DAG runs (SimpleAuthManager role ``user`` or above). Tokens come from ``POST /auth/token``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from herald.db import Database

AIRFLOW_API_CONN_ID = "herald_airflow_api"
PAGE_SIZE = 100  # Airflow's [api] maximum_page_limit by default: a larger limit is cut to it


class AirflowApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, text: str):
        super().__init__(f"{method} {path}: HTTP {status}: {text[:500]}")
        self.status = status


def base_url_from_fields(host: str | None, port: int | None = None, schema: str | None = None) -> str:
    """The API base URL from a connection's fields: ``host`` may be a full URL or a bare host name."""
    if not host:
        raise ValueError(f"connection {AIRFLOW_API_CONN_ID}: 'host' must hold the Airflow API base URL")
    host = host.rstrip("/")
    if "://" in host:
        return host
    scheme = schema if schema in ("http", "https") else "http"
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def _segment(value: Any) -> str:
    return quote(str(value), safe="")


class AirflowApi:
    """Token-authenticated calls to ``/api/v2``; a 401 (expired token) gets one fresh token and a retry."""

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 30.0):
        import requests

        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self.timeout = timeout
        self.session = requests.Session()
        self._token: str | None = None

    @classmethod
    def from_connection(cls, conn_id: str = AIRFLOW_API_CONN_ID) -> AirflowApi:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(conn_id)
        if not conn.login or not conn.password:
            raise ValueError(f"connection {conn_id}: 'login' and 'password' of an Airflow API user are required")
        return cls(base_url_from_fields(conn.host, conn.port, conn.schema), conn.login, conn.password)

    def _authenticate(self) -> None:
        response = self.session.post(f"{self.base_url}/auth/token", timeout=self.timeout,
                                     json={"username": self.username, "password": self._password})
        if response.status_code not in (200, 201):
            raise AirflowApiError("POST", "/auth/token", response.status_code, response.text)
        self._token = response.json()["access_token"]

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None) -> dict[str, Any]:
        """One call to ``/api/v2{path}``; raises :class:`AirflowApiError` for any status >= 400."""
        for attempt in (1, 2):
            if self._token is None:
                self._authenticate()
            response = self.session.request(
                method, f"{self.base_url}/api/v2{path}", params=params, json=json, timeout=self.timeout,
                headers={"Authorization": f"Bearer {self._token}"},
            )
            if response.status_code == 401 and attempt == 1:
                self._token = None
                continue
            if response.status_code >= 400:
                raise AirflowApiError(method, path, response.status_code, response.text)
            return response.json() if response.content else {}
        raise AssertionError("unreachable")

    # --- human-in-the-loop requests ------------------------------------------------------------------

    def open_hitl_requests(self, dag_id: str) -> Iterator[dict[str, Any]]:
        """Requests of the DAG still waiting for a person: no response yet and the task parked for it."""
        offset = 0
        while True:
            page = self.request("GET", f"/dags/{_segment(dag_id)}/dagRuns/~/hitlDetails", params={
                "response_received": "false", "state": ["awaiting_input", "deferred"],
                "limit": PAGE_SIZE, "offset": offset, "order_by": "created_at",
            })
            details = page.get("hitl_details", [])
            yield from details
            offset += len(details)
            if not details or offset >= page.get("total_entries", 0):
                return

    def hitl_request(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, Any]:
        return self.request("GET", self._hitl_path(dag_id, run_id, task_id, map_index))

    def respond_hitl(self, dag_id: str, run_id: str, task_id: str, chosen_options: list[str],
                     params_input: Mapping[str, Any] | None = None, map_index: int = -1) -> dict[str, Any]:
        """Answer a request as this client's user (Airflow checks the user is assigned to it)."""
        return self.request("PATCH", self._hitl_path(dag_id, run_id, task_id, map_index),
                            json={"chosen_options": list(chosen_options), "params_input": dict(params_input or {})})

    # --- DAG runs ------------------------------------------------------------------------------------

    def dag_runs(self, dag_ids: Sequence[str], run_after_gte: datetime, run_after_lt: datetime, *,
                 page_size: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every run of ``dag_ids`` with ``run_after`` in [gte, lt), oldest first, one page in memory at a time.

        ``POST /dags/~/dagRuns/list`` pages by keyset on ``run_after`` (Airflow orders ties by the run's primary key):
        each page starts at the last ``run_after`` seen and skips the runs already given at that instant, so the
        server never counts past an offset into the year (an offset page costs a scan of everything before it).
        Only when a whole page shares one ``run_after`` does it page by offset within that instant.
        """
        cursor, seen, offset = _utc(run_after_gte), set(), 0
        while True:
            page = self.request("POST", "/dags/~/dagRuns/list", json={
                "dag_ids": sorted(dag_ids), "run_after_gte": cursor.isoformat(), "run_after_lt": _utc(run_after_lt).isoformat(),
                "order_by": "run_after", "page_limit": page_size, "page_offset": offset,
            })
            runs = page.get("dag_runs", [])
            for run in runs:
                key = (run["dag_id"], run["dag_run_id"])
                if key not in seen:
                    yield run
            if len(runs) < page_size:
                return
            last = _utc(datetime.fromisoformat(runs[-1]["run_after"].replace("Z", "+00:00")))
            at_last = {(r["dag_id"], r["dag_run_id"]) for r in runs
                       if _utc(datetime.fromisoformat(r["run_after"].replace("Z", "+00:00"))) == last}
            if last == cursor:
                seen |= at_last
                offset += len(runs)
            else:
                cursor, seen, offset = last, at_last, 0

    # --- task instances ----------------------------------------------------------------------------

    def skip_task_instance(self, dag_id: str, run_id: str, task_id: str, *, note: str, map_index: int = -1) -> None:
        """Mark a task instance skipped, with a note saying why (shown beside the task in the UI)."""
        self.request("PATCH", self._ti_path(dag_id, run_id, task_id, map_index),
                     json={"new_state": "skipped", "note": note[:1000]})

    def task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, Any]:
        return self.request("GET", self._ti_path(dag_id, run_id, task_id, map_index))

    @staticmethod
    def _hitl_path(dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
        # The HITL routes always carry the map index (-1 for an unmapped task).
        return (f"/dags/{_segment(dag_id)}/dagRuns/{_segment(run_id)}/taskInstances/{_segment(task_id)}"
                f"/{map_index}/hitlDetails")

    @staticmethod
    def _ti_path(dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
        path = f"/dags/{_segment(dag_id)}/dagRuns/{_segment(run_id)}/taskInstances/{_segment(task_id)}"
        return path if map_index < 0 else f"{path}/{map_index}"


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()}: Airflow's API takes timezone-aware times")
    return value.astimezone(UTC)


def fetch_run_history(db: Database, year: int, year_start: datetime, year_end: datetime, cutoff: datetime, *,
                      now: datetime, api: AirflowApi | None = None, conn_id: str = AIRFLOW_API_CONN_ID) -> dict[str, Any]:
    """Read Airflow's runs of the ledger-writing DAGs for the audit window into Herald's database (one snapshot per
    window, ``herald.audit.run_history.store_history``). A missing connection, an unreachable api-server or a
    refused user does not fail: the window is recorded as unverified (未核对) with the reason, which the pack shows.
    Returns what happened (for the task's log and XCom): ``status``, ``runs``, ``reason``, ``dag_ids``."""
    import requests

    from herald.audit import run_history as rh

    dag_ids = rh.dag_ids_to_fetch(db, year_start, year_end, cutoff)
    from_at, to_at = rh.fetch_range(year_start, year_end, cutoff)
    source = rh.API_CALL
    try:
        api = api or AirflowApi.from_connection(conn_id)
    except ValueError as error:  # the connection lacks its host, login or password
        reason = f"连接 {conn_id} 配置不完整：{error}"
    except Exception as error:
        if type(error).__name__ != "AirflowNotFoundException":  # airflow.sdk's or airflow's, by version
            raise
        reason = f"未配置 Airflow API 连接 {conn_id}"
    else:
        source = f"{rh.API_CALL}（{api.base_url}）"
        try:
            runs = rh.store_history(db, year, cutoff, api.dag_runs(dag_ids, from_at, to_at), dag_ids=dag_ids,
                                    from_at=from_at, to_at=to_at, source=source, now=now)
            return {"status": rh.FETCHED, "runs": runs, "reason": "", "dag_ids": list(dag_ids)}
        except (requests.ConnectionError, requests.Timeout) as error:
            reason = f"无法连接 Airflow API 服务器（{api.base_url}）：{type(error).__name__}"
        except AirflowApiError as error:
            reason = (f"Airflow API 拒绝访问（HTTP {error.status}）：请检查连接 {conn_id} 的用户及其角色"
                      if error.status in (401, 403) else f"Airflow API 返回错误（HTTP {error.status}）")
    recorded = rh.store_unavailable(db, year, cutoff, reason, dag_ids=dag_ids, from_at=from_at, to_at=to_at,
                                    source=source, now=now)
    return {"status": rh.UNAVAILABLE if recorded else "kept_earlier", "runs": 0, "reason": reason, "dag_ids": list(dag_ids)}
