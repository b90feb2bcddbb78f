import pytest

from herald.connection_url import herald_db_url, url_from_airflow_env, url_from_fields
from herald.errors import HeraldError


def test_postgres_fields_with_special_characters_in_the_password():
    url = url_from_fields("postgres", "db.internal", "herald", "p@ss:w/rd", 5433, "herald")
    assert url == "postgresql://herald:p%40ss%3Aw%2Frd@db.internal:5433/herald"


def test_airflow_json_and_uri_forms():
    assert url_from_airflow_env('{"conn_type": "sqlite", "host": "/tmp/h.db"}') == "sqlite:////tmp/h.db"
    assert url_from_airflow_env("postgresql://u:pw@h:5432/herald") == "postgresql://u:pw@h:5432/herald"
    assert url_from_airflow_env("postgres://u@h/herald") == "postgresql://u@h:5432/herald"


def test_herald_db_connection_type_from_airflow_form_is_a_postgres_database():
    """The connection type Herald registers in Airflow's form (herald_db) reads as PostgreSQL, JSON form included."""
    assert url_from_fields("herald_db", "db", "herald", "pw", None, "herald") == "postgresql://herald:pw@db:5432/herald"
    assert url_from_airflow_env('{"conn_type": "herald_db", "host": "db", "login": "u"}') == "postgresql://u@db:5432/herald"


def test_unsupported_type_and_missing_configuration_are_named(monkeypatch):
    with pytest.raises(HeraldError, match="herald_db: connection type 'mysql'"):
        url_from_fields("mysql", "h")
    monkeypatch.delenv("HERALD_DB_URL", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_HERALD_DB", raising=False)
    with pytest.raises(HeraldError, match="AIRFLOW_CONN_HERALD_DB"):
        herald_db_url()
