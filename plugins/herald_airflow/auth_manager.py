"""Herald's production auth manager: the FAB auth manager (database users) with one change, HITL respondents.

docker-compose.yaml sets ``AIRFLOW__CORE__AUTH_MANAGER=herald_airflow.auth_manager.HeraldFabAuthManager``;
``make up`` keeps the SimpleAuthManager (config/native.env).
"""

from __future__ import annotations

from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager


class HeraldFabAuthManager(FabAuthManager):
    """``FabAuthManager`` whose human-in-the-loop respondent check compares user names, not ids."""

    def is_authorized_hitl_task(self, *, assigned_users: set[str], user) -> bool:
        """May ``user`` answer a HITL request assigned to ``assigned_users``? Yes when its user name is one of them.

        Herald identifies its people by ``people.login`` whatever the auth manager: approval requests are
        assigned to ``{"id": login, ...}`` (herald.posts.approval_requests.assignees) and each person signs
        in as the Airflow user named by that login. Airflow's default compares ``user.get_id()``, which under
        FAB is the numeric ``ab_user.id``, so no assignee could ever answer. The user name (``get_name()``,
        the FAB ``username``) is what matches a login; under the SimpleAuthManager id and name are the same.
        Airflow calls this only for requests that have assignees (``PATCH .../hitlDetails``).
        """
        return user.get_name() in assigned_users
