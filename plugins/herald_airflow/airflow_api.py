"""A small client for Airflow's own REST API (``/api/v2``), for what tasks may not do through the ORM.

Tasks cannot touch Airflow's metadata database in Airflow 3; where Herald must read or change
Airflow's records (open human-in-the-loop requests, a task instance's state), it goes through the
public REST API as a named user. The user and the API's address come from the
``herald_airflow_api`` connection: ``host`` is the API base URL (``http://host:8080``; a bare
host name plus ``port`` also works), ``login``/``password`` the user, whose role must allow
editing DAG runs (SimpleAuthManager role ``user`` or above). Tokens come from ``POST /auth/token``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

AIRFLOW_API_CONN_ID = "herald_airflow_api"
PAGE_SIZE = 100


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
