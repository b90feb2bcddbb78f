"""Registers Herald's HTTP API (``/herald``) on Airflow's api-server."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


class HeraldPlugin(AirflowPlugin):
    name = "herald"

    @property
    def fastapi_apps(self):  # built lazily: only the api-server needs the app
        from herald_airflow.api import app

        return [{"app": app, "url_prefix": "/herald", "name": "Herald queue and approvals"}]
