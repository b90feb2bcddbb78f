"""Herald's pages in a real browser against a real api-server (tests/stack.py), signed in through Airflow's login page.

Debian's Chromium and its driver (``apt-get install chromium chromium-driver``), driven by Selenium, headless. Three
people log in on Airflow's own login page (the FAB auth manager of the compose recipe, which tests/stack.py runs)
and use the pages:
周运营 queues a post on the queue form (after a refusal shown beside its field), 吴主管 (the approver) opens the
post's page from the calendar, 卫行政 (the competent department, the admin centre's reader) acknowledges a finding,
then opens the audit packs page (「审计包」, from the link Airflow's navigation carries), sees the year's pack with its
status and data-quality result, opens the pack's HTML and its GX Data Docs, and downloads the pack's PDF.
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
# FAB's Viewer and User roles cannot read plugins by default (GET /api/v2/plugins is 403, so Airflow's UI would hide
# Herald's navigation from them); airflow-init grants them that read. The reader (a Viewer) follows the menu herself.
NAVIGATOR = READER
PACK_YEAR, PACK_CUTOFF, PACK_ACCOUNT = 2026, datetime(2027, 1, 14, 16, 0, tzinfo=UTC), "WB-GROUP"
WAIT = 60  # seconds for a page to show what is expected (two slow shared cores)


def _browser(profile: Path, downloads: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), "apt-get install -y chromium chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


class Person:
    """One person's browser: a fresh profile, signed in on Airflow's login page."""

    def __init__(self, stack, login: str, shots: Path):
        self.stack, self.login, self.shots = stack, login, shots
        self.profile = Path(tempfile.mkdtemp(prefix=f"herald-chromium-{login}-"))
        self.downloads = self.profile / "downloads"
        self.downloads.mkdir()
        self.driver = _browser(self.profile, self.downloads)
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


def _pack_for_reader(db, root: Path):
    """The group Weibo's pack of the year, gated by GX and written where the api-server's packs page reads."""
    from herald.audit.build import build_packs
    from herald.audit.render import write_pack

    [pack] = build_packs(db, PACK_YEAR, PACK_CUTOFF, account_ids=[PACK_ACCOUNT])
    return pack, write_pack(pack, root)


def _downloaded(folder: Path, name: str) -> bytes | None:
    path = folder / name
    return path.read_bytes() if path.is_file() and not (folder / f"{name}.crdownload").exists() else None


def test_schedulers_approvers_and_readers_use_the_pages_in_a_browser(pg_db, pg_url, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from stack import native_stack

    small_org(pg_db)
    post_id, title = _queue_for_approver(pg_db)
    finding_id = _finding_for_reader(pg_db)
    pack, pack_folder = _pack_for_reader(pg_db, tmp_path / "packs")
    kept = os.environ.get("HERALD_SCREENSHOTS")
    shots = Path(kept) if kept else Path(tempfile.mkdtemp(prefix="herald-pages-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    overrides = {"AIRFLOW_CONN_HERALD_DB": pg_url, "AIRFLOW_VAR_HERALD_PACK_ROOT": str(tmp_path / "packs")}
    # The stack's own users (those airflow-init creates) plus the three people, named by their people.login.
    users = {SCHEDULER: "User", APPROVER: "User", READER: "Viewer"}
    people: list[Person] = []
    try:
        with native_stack("pages", services=("airflow-apiserver",), overrides=overrides, users=users) as stack:
            # The navigation links (external views) as Airflow's UI reads them.
            plugins = stack.client("admin").request("GET", "/plugins")["plugins"]
            views = {v["name"]: v for p in plugins if p["name"] == "herald" for v in p["external_views"]}
            assert {"发布日历", "排期", "待办发现", "审计包"} <= set(views)
            assert views["排期"]["href"].endswith("/herald/pages/queue")
            assert views["审计包"]["href"].endswith("/herald/packs")

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

            # 4. Airflow's navigation links the audit packs: its Herald menu opens the page inside Airflow's UI.
            navigator = Person(stack, NAVIGATOR, shots)
            people.append(navigator)
            navigator.sign_in("findings")
            navigator.driver.get(f"{stack.api_url}/")
            navigator.wait_for(lambda d: d.find_element(By.XPATH, "//button[.//*[@aria-label='Plugins']]")).click()
            navigator.wait_for(lambda d: d.find_element(By.XPATH, "//*[@role='menuitem'][contains(., 'Herald')]")).click()
            navigator.wait_for(lambda d: d.find_element(By.XPATH, "//*[@role='menuitem'][contains(., '审计包')]")).click()
            frame = navigator.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "iframe[src$='/herald/packs']"))[0]
            # Airflow's UI may append the embedded page's own path to its route (/plugin/<route>/herald/packs).
            assert f"/plugin/{views['审计包']['url_route']}" in navigator.driver.current_url
            navigator.driver.switch_to.frame(frame)
            navigator.wait_for(lambda d: pack.title in d.find_element(By.TAG_NAME, "body").text)
            navigator.driver.switch_to.default_content()
            navigator.shot("6-packs-in-airflow")

            # 5. The reader opens the audit packs page (the navigation link's address), sees the pack with its status
            #    and data-quality result, opens its HTML and its GX Data Docs, and downloads its PDF.
            driver = reader.driver
            driver.get(f"{stack.api_url}{views['审计包']['href']}")
            row = reader.wait_for(lambda d: d.find_element(By.XPATH, f"//tr[td[contains(., '{pack.title}')]]"))
            cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            assert f"{PACK_YEAR} 年度" in reader.text() and PACK_ACCOUNT in cells[0]
            assert (cells[2], cells[3]) == (("正式", "通过") if pack.status == "final" else ("草稿（数据质量未通过）", "未通过"))
            assert cells[4] == pack.verdict.label
            reader.shot("7-packs")
            row.find_element(By.LINK_TEXT, "打开").click()
            reader.wait_for(lambda d: d.current_url.endswith("/data/index.html") and pack.title in d.title)
            assert "数据截止" in reader.text() and "勾稽核对" in reader.text()
            reader.shot("8-pack-html")
            driver.find_element(By.PARTIAL_LINK_TEXT, "Great Expectations 数据文档").click()  # GX's Data Docs, from the pack
            reader.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "table.ge-index-page-validation-results-table tbody tr"))
            assert "herald_audit_published_items" in reader.text()
            reader.shot("9-pack-data-docs")
            driver.get(f"{stack.api_url}/herald/packs")
            pdf_name = f"herald-audit-{PACK_YEAR}-{PACK_ACCOUNT}.pdf"
            reader.wait_for(lambda d: d.find_element(By.XPATH, f"//tr[td[contains(., '{pack.title}')]]")).find_element(
                By.LINK_TEXT, "PDF").click()
            downloaded = reader.wait_for(lambda d: _downloaded(reader.downloads, pdf_name))
            assert downloaded == (pack_folder / "data" / pdf_name).read_bytes() and downloaded.startswith(b"%PDF")
    finally:
        for person in people:
            person.close()
        if not kept:
            shutil.rmtree(shots, ignore_errors=True)


def _category() -> str:
    from herald.policy import load_policy

    return next(iter(load_policy("000").content.categories))
