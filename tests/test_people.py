"""``herald people check``: people against Airflow's users, by ``people.login``."""

from __future__ import annotations

from herald.people import check_report, compare, users_from_simple_auth_manager

PEOPLE = [
    {"person_id": "p1", "name": "吴军雪", "login": "wu.junxue", "is_active": True},
    {"person_id": "p2", "name": "金慧霞", "login": None, "is_active": True},
    {"person_id": "p3", "name": "宋琳刚", "login": "song.lingang", "is_active": True},
    {"person_id": "p4", "name": "范华", "login": None, "is_active": False},  # left: not expected to sign in
    {"person_id": "p5", "name": "黄敏", "login": "huang.min", "is_active": False},
]


def test_users_are_read_from_simple_auth_manager_pairs():
    assert users_from_simple_auth_manager("admin:admin, wu.junxue:user,team.user:viewer:t1|t2,") == [
        "admin", "wu.junxue", "team.user"]


def test_both_kinds_of_gap_are_listed_and_service_users_apart():
    check = compare(PEOPLE, ["admin", "herald-router", "wu.junxue", "scheduler", "huang.min", "wu.junxue"])
    assert [p["person_id"] for p in check.people_without_login] == ["p2"]
    assert [p["person_id"] for p in check.people_without_user] == ["p3"]
    assert check.users_without_person == ["scheduler"]  # huang.min is a person (inactive), not a stray user
    assert check.service_users == ["admin", "herald-router"]
    assert check.matched == 1 and not check.ok
    report = check_report(check)
    assert "  - 金慧霞（p2，）" in report and "  - 宋琳刚（p3）：song.lingang" in report and "  - scheduler" in report
    assert report[-1].startswith("核对结果：1 人已对应") and report[-1].endswith("请处理。")


def test_a_service_login_that_is_a_person_counts_as_the_person():
    check = compare([{"person_id": "p9", "name": "管理员", "login": "admin", "is_active": True}], ["admin"])
    assert check.ok and check.matched == 1 and check.service_users == []


def test_everyone_matched_is_ok():
    check = compare(PEOPLE[:1], ["wu.junxue", "admin"])
    assert check.ok and check_report(check)[-1].endswith("。") and "请处理" not in check_report(check)[-1]


def test_cli_checks_the_demo_world_against_the_configured_users(demo_world, capsys, monkeypatch):
    from herald.__main__ import main

    url = str(demo_world.url)
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,herald-router:user,nobody.here:user")
    assert main(["--db", url, "people", "check"]) == 1
    out = capsys.readouterr().out
    assert "  - nobody.here" in out and "服务账号（不对应人员，属正常）：admin、herald-router" in out
    assert out.strip().splitlines()[-1].startswith("核对结果：0 人已对应 Airflow 用户")

    logins = [row["login"] for row in demo_world.fetch("people/all") if row["is_active"]]
    assert main(["--db", url, "people", "check", "--users", ",".join(f"{login}:user" for login in logins)]) == 0
    assert capsys.readouterr().out.strip().endswith(f"核对结果：{len(logins)} 人已对应 Airflow 用户；未设登录名 0 人，"
                                                    "登录名无对应用户 0 人，无对应人员的用户 0 个。")

    assert main(["--db", url, "people", "check", "--users", "no role here"]) == 2
    assert "--users [格式]" in capsys.readouterr().err
