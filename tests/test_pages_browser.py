"""Herald's pages in a real browser against a real api-server (tests/stack.py), signed in through Airflow's login page.

Debian's Chromium and its driver (``apt-get install chromium chromium-driver``), driven by Selenium, headless. Three
people log in on Airflow's own login page (the FAB auth manager of the compose recipe, which tests/stack.py runs)
and use the pages:
周运营 queues a post on the queue form (after a refusal shown beside its field), 吴主管 (the approver) opens the
post's page from the calendar, 卫行政 (the competent department, the admin centre's reader) acknowledges a finding.
Screenshots go to a temporary folder (kept with ``HERALD_SCREENSHOTS=<folder>``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest

from builders import small_org

pytestmark = [pytest.mark.slow, pytest.mark.pg]

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
         "--lang=zh-CN")
SCHEDULER, APPROVER, READER = "zhou.yunying", "wu.zhuguan", "wei.xingzheng"
WAIT = 60  # seconds for a page to show what is expected (two slow shared cores)


def _browser(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), "apt-get install -y chromium chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class Person:
    """One person's browser: a fresh profile, signed in on Airflow's login page."""

    def __init__(self, stack, login: str, shots: Path):
        self.stack, self.login, self.shots = stack, login, shots
        self.profile = Path(tempfile.mkdtemp(prefix=f"herald-chromium-{login}-"))
        self.driver = _browser(self.profile)
        self.driver.set_page_load_timeout(WAIT)

    def sign_in(self, page: str) -> None:
        """Airflow's login form (its own page), then back to ``page``: the ``_token`` cookie is what the pages read."""
        from selenium.webdriver.common.by import By

        target = f"{self.stack.api_url}/herald/pages/{page}"
        self.driver.get(f"{self.stack.api_url}/auth/login/?{urlencode({'next': target})}")  # FAB's login page
        self.wait_for(lambda d: d.find_elements(By.NAME, "username"))
        self.driver.find_element(By.NAME, "username").send_keys(self.login)
        self.driver.find_element(By.NAME, "password").send_keys(self.stack.passwords[self.login])
        self.driver.find_element(By.CSS_SELECTOR, "[type=submit]").click()
        self.wait_for(lambda d: d.current_url.startswith(target) and "Herald" in d.title)
        assert self.driver.get_cookie("_token") is not None

    def wait_for(self, condition):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT).until(condition)

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").text

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        height = self.driver.execute_script("return document.body.scrollHeight")  # the whole page in one picture
        self.driver.set_window_size(1400, max(1000, min(int(height) + 40, 4000)))
        assert self.driver.save_screenshot(str(path))
        return path

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


def _queue_for_approver(db) -> tuple[str, str]:
    """A post on the group's Weibo awaiting 吴主管 (the supervising leader, its one step), queued through the domain."""
    from herald.policy import load_policy
    from herald.posts.model import PostRequest
    from herald.posts.queue import queue_post

    now = datetime.now(UTC)
    title = "集团开放日预告"
    request = PostRequest.from_mapping({
        "account_id": "WB-GROUP", "author_id": "author2", "title": title, "body": "集团开放日欢迎参观 https://example.com/open",
        "category": next(iter(load_policy("000").content.categories)), "source": "集团行政中心",
        "publish_at": (now + timedelta(days=9)).isoformat()})
    return queue_post(db, request, now=now), title


def _finding_for_reader(db) -> str:
    from herald.findings import Finding, record_event_findings

    finding = Finding("PUB-5", "account", "WB-GROUP", "2026-W45", "medium", "集团微博第45周未更新", {})
    with db.transaction() as tx:
        record_event_findings(tx, [finding], detected_by="test", now=datetime.now(UTC))
    return finding.finding_id


def test_schedulers_approvers_and_readers_use_the_pages_in_a_browser(pg_db, pg_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from stack import native_stack

    small_org(pg_db)
    post_id, title = _queue_for_approver(pg_db)
    finding_id = _finding_for_reader(pg_db)
    kept = os.environ.get("HERALD_SCREENSHOTS")
    shots = Path(kept) if kept else Path(tempfile.mkdtemp(prefix="herald-pages-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    overrides = {"AIRFLOW_CONN_HERALD_DB": pg_url}
    # The stack's own users (those airflow-init creates) plus the three people, named by their people.login.
    users = {SCHEDULER: "User", APPROVER: "User", READER: "Viewer"}
    people: list[Person] = []
    try:
        with native_stack("pages", services=("airflow-apiserver",), overrides=overrides, users=users) as stack:
            # The navigation links (external views) as Airflow's UI reads them.
            plugins = stack.client("admin").request("GET", "/plugins")["plugins"]
            views = {v["name"]: v for p in plugins if p["name"] == "herald" for v in p["external_views"]}
            assert {"发布日历", "排期", "待办发现"} <= set(views)
            assert views["排期"]["href"].endswith("/herald/pages/queue")

            # 1. The scheduler queues on the form: a refusal beside its field first, then the post.
            scheduler = Person(stack, SCHEDULER, shots)
            people.append(scheduler)
            scheduler.sign_in("queue")
            assert "排期一条信息" in scheduler.text() and "周运营" in scheduler.text()
            driver = scheduler.driver
            Select(driver.find_element(By.NAME, "account_id")).select_by_value("WB-GROUP")
            driver.find_element(By.NAME, "title").send_keys("集团植树节活动")
            driver.find_element(By.NAME, "body").send_keys("集团植树节活动报名 https://example.com/trees")
            driver.find_element(By.NAME, "source").send_keys("网络")  # refused: CON-2 wants a real source
            driver.find_element(By.NAME, "category").send_keys(_category())
            publish = (datetime.now(UTC) + timedelta(days=10, hours=8)).strftime("%Y-%m-%dT%H:%M")
            driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.NAME, "publish_at"), publish)
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            scheduler.wait_for(lambda d: "未能提交" in d.page_source)
            source_label = driver.find_element(By.CSS_SELECTOR, "label.bad input[name=source]").find_element(By.XPATH, "..")
            assert "CON-2" in source_label.text
            scheduler.shot("1-queue-refused")
            source = driver.find_element(By.NAME, "source")
            source.clear()
            source.send_keys("集团行政中心")
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            scheduler.wait_for(lambda d: "/herald/pages/posts/" in d.current_url)
            assert "集团植树节活动" in scheduler.text() and "待审批" in scheduler.text()
            scheduler.shot("2-queued-post")
            queued = driver.current_url.rsplit("/", 1)[1]
            assert pg_db.fetch_one("posts/post", post_id=queued)["author_id"] == "author2"

            # 2. The approver finds the waiting post on the calendar and opens its page.
            approver = Person(stack, APPROVER, shots)
            people.append(approver)
            publish_day = pg_db.fetch_one("posts/post", post_id=post_id)["publish_at"] + timedelta(hours=8)
            approver.sign_in(f"calendar?view=month&day={publish_day.date().isoformat()}")
            assert "发布日历" in approver.text() and "待审批" in approver.text()
            approver.shot("3-calendar-month")
            approver.driver.find_element(By.XPATH, f"//a[contains(@href, '/posts/{post_id}')]").click()
            approver.wait_for(lambda d: post_id in d.current_url)
            text = approver.text()
            assert title in text and "审批链" in text and "第1步" in text and "待签" in text and "尚未发布" in text
            approver.shot("4-post-page")

            # 3. The admin centre's reader acknowledges a finding of the group's accounts.
            reader = Person(stack, READER, shots)
            people.append(reader)
            reader.sign_in("findings")
            assert "集团微博第45周未更新" in reader.text() and "待处理" in reader.text()
            row = reader.driver.find_element(By.ID, finding_id)
            row.find_element(By.NAME, "reason").send_keys("宣传部已安排本周补发")
            row.find_element(By.XPATH, ".//button[text()='确认']").click()
            reader.wait_for(lambda d: "已确认" in d.find_element(By.ID, finding_id).text)
            reader.shot("5-findings")
            with pg_db.transaction() as tx:
                from herald.findings import finding_detail

                assert [h["via"] for h in finding_detail(tx, finding_id)["history"]] == ["page"]
    finally:
        for person in people:
            person.close()
        if not kept:
            shutil.rmtree(shots, ignore_errors=True)


def _category() -> str:
    from herald.policy import load_policy

    return next(iter(load_policy("000").content.categories))
