"""Registers Herald's HTTP API (``/herald``) on Airflow's api-server, and its pages in Airflow's navigation."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


class HeraldPlugin(AirflowPlugin):
    name = "herald"

    @property
    def fastapi_apps(self):  # built lazily: only the api-server needs the app
        from herald_airflow.api import app

        return [{"app": app, "url_prefix": "/herald", "name": "Herald queue and approvals"}]

    @property
    def external_views(self):
        """Herald's pages (``herald_airflow.pages``) in the navigation, shown inside Airflow's UI (``url_route``)."""
        from urllib.parse import urlsplit

        from airflow.configuration import conf

        base = urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")  # a sub-path deployment
        pages = (("发布日历", "calendar", "herald-calendar"), ("排期", "queue", "herald-queue"),
                 ("待办发现", "findings", "herald-findings"))
        return [{"name": name, "href": f"{base}/herald/pages/{page}", "destination": "nav", "category": "Herald",
                 "url_route": route} for name, page, route in pages] + [
            {"name": "审计包", "href": f"{base}/herald/packs", "destination": "nav", "category": "Herald",
             "url_route": "herald-packs"}]  # the audit packs by year and account (herald_airflow.api_packs)
