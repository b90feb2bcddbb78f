"""``herald people check``: the Airflow users to compare the people with."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from herald.boundary.models import Text, _Door, _rule

# login:role[:teams] pairs, comma-separated, as Airflow's simple_auth_manager_users takes them.
USERS_PATTERN = r"^\s*[^\s,:]+:[A-Za-z]+(:[^\s,]+)?\s*(,\s*[^\s,:]+:[A-Za-z]+(:[^\s,]+)?\s*)*$"


class PeopleCheckIn(_Door):
    users: Annotated[Text, Field(max_length=100_000, pattern=USERS_PATTERN)] = _rule(
        "PUB-3", "Airflow 用户：login:role 对，逗号分隔（默认取 AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS）",
        alias="--users")
    service: list[Annotated[Text, Field(min_length=1, max_length=256, pattern=r"^[^\s,:]+$")]] = _rule(
        "PUB-3", "服务账号登录名（不对应人员，可重复给出）", alias="--service", default_factory=list)
