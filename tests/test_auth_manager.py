"""HeraldFabAuthManager: HITL respondents are matched by user name (people.login), not FAB's numeric id."""

from __future__ import annotations

from dataclasses import dataclass

from herald.posts.approval_requests import assignees


@dataclass
class FabLikeUser:
    """What the FAB user model offers the check: a numeric id (as a string) and the username."""

    id: int
    username: str

    def get_id(self) -> str:
        return str(self.id)

    def get_name(self) -> str:
        return self.username


def _check(user, assigned: set[str]) -> bool:
    from herald_airflow.auth_manager import HeraldFabAuthManager

    # The method reads nothing of the manager's state: no app or database is needed to call it.
    return HeraldFabAuthManager.is_authorized_hitl_task(object.__new__(HeraldFabAuthManager),
                                                        assigned_users=assigned, user=user)


def test_an_assignee_answers_by_login_whatever_its_numeric_id():
    assigned = {a["id"] for a in assignees([{"login": "leader", "name": "王强", "person_id": "leader"}], author_id="someone-else",
                                           signed=set())}
    assert assigned == {"leader"}
    assert _check(FabLikeUser(7, "leader"), assigned)
    assert not _check(FabLikeUser(8, "herald-router"), assigned)


def test_the_numeric_id_alone_does_not_make_a_respondent():
    # FAB's default compared get_id(): an assignee list naming "3" would admit user 3 whatever its login.
    assert not _check(FabLikeUser(3, "auditor"), {"3"})
    assert _check(FabLikeUser(3, "auditor"), {"auditor", "leader"})


def test_the_responder_is_mapped_back_by_name_then_id():
    from herald.posts.approval_requests import responder_login

    assert responder_login({"id": "7", "name": "leader"}) == "leader"  # FAB: numeric id, username
    assert responder_login({"id": "leader", "name": "leader"}) == "leader"  # SimpleAuthManager
    assert responder_login({"id": "leader"}) == "leader"
    assert responder_login(None) is None
