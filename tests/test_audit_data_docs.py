"""GX's own Data Docs in the audit pack (herald.audit.data_docs): built by GX's site builder, readable offline, the
same bytes on every build.

The pack here is built by hand with seeded defects (a duplicate platform item id, an item without a complete chain, an
item without a bundle, a time outside the year, a tie-out that fails), then gated by the real GX suites
(``herald.audit.quality.check_pack``), so the docs show failed expectations with the rows that failed. The docs are
checked as files (every link resolves inside the docs, nothing loads from another host), as bytes (two builds in
processes with other time zones and hash seeds give the same bytes) and in headless Chromium with name resolution
off (the tables that bootstrap-table fills from data are filled, the icon font and Bootstrap's styles are applied).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

import pytest

from herald.audit.data_docs import DOCS, INDEX, DataDocsError, _offline, data_docs
from herald.audit.model import Column, Pack, QualityResult, Reason, Table, TieOut, Verdict
from herald.audit.render import pack_files, verify_pack, write_pack

CUTOFF = datetime(2027, 1, 14, 16, 0, tzinfo=UTC)  # 2027-01-15 00:00 in Shanghai
ACCOUNT = "acct-grp-weibo"
# Hosts that the shipped libraries name in their licence banners and error messages (never loaded from).
MENTIONED_HOSTS = {"getbootstrap.com", "github.com", "popper.js.org", "fontawesome.com", "bootstrap-table.com",
                   "wenzhixin.net.cn", "www.apache.org", "www.w3.org"}
ITEM_COLUMNS = ("item_id", "account_id", "published_at", "platform", "origin_label", "origin", "platform_item_id",
                "post_id", "category", "content_hash", "chain", "approved_steps", "is_chain_complete", "screening",
                "attempts", "lateness_seconds", "is_handoff_late", "published_by", "platform_status", "bundle_path",
                "manifest_sha256", "is_archived")


def _item(n: int, *, platform_item_id: str | None = None, chain: bool = True, archived: bool = True,
          published_at: datetime | None = None) -> tuple:
    return (f"item-{n:03d}", ACCOUNT, published_at or datetime(2026, 3, n, 2, tzinfo=UTC), "weibo", "定时发布", "dispatch",
            platform_item_id or f"wb-{n:03d}", f"post-{n:03d}", "企业动态", f"sha-{n}", "编辑→部门负责人", 2 if chain else 1,
            chain, "通过", 1, 3, False, "周运营", "已发布", f"bundles/item-{n:03d}" if archived else "",
            f"m-{n}" if archived else "", archived)


def defect_pack() -> Pack:
    """An account pack whose published items carry four seeded defects, not yet gated."""
    rows = (_item(1), _item(2, platform_item_id="wb-001"), _item(3, chain=False), _item(4, archived=False),
            _item(5, published_at=datetime(2027, 1, 5, tzinfo=UTC)), _item(6))
    items = Table("published_items", "已发布信息", "sql/audit/published_items.sql", {"year": 2026, "account_id": ACCOUNT},
                  tuple(Column(key, key) for key in ITEM_COLUMNS), rows, {"rows": len(rows)})
    verdict = Verdict(level="pass_with_remarks", may_be_rated_advanced=False,
                      reasons=(Reason("PUB-4", "1 条已发布信息没有归档包", "003 §3.4"),))
    return Pack(year=2026, cutoff=CUTOFF, account_id=ACCOUNT, title=f"集团官方微博（{ACCOUNT}）2026 年度审计包",
                summary={"items": len(rows)}, tables=(items,), verdict=verdict, policy_id="003",
                tieouts=(TieOut("已发布信息 = 归档包", "published_items.rows", "archive_bundles.rows", 6, 5),),
                quality=QualityResult(passed=True, results_json="{}"))


@pytest.fixture(scope="module")
def gated() -> Pack:
    from herald.audit.quality import check_pack

    pack = defect_pack()
    return replace(pack, quality=check_pack(pack))


@pytest.fixture(scope="module")
def docs(gated) -> dict[str, bytes]:
    return data_docs(gated)


def _page(docs: dict[str, bytes], dataset: str) -> tuple[str, str]:
    [(path, content)] = [(p, c) for p, c in docs.items() if p.startswith(f"{DOCS}/validations/") and p.endswith(f"/{dataset}.html")]
    return path, content.decode("utf-8")


def test_the_docs_are_gx_sites_pages_for_every_validation_and_suite_with_the_failed_rows(gated, docs):
    assert not gated.quality.passed and gated.status == "draft"
    results = json.loads(gated.quality.results_json)
    assert INDEX in docs
    for dataset, body in results.items():
        path, _ = _page(docs, dataset)
        # Stamped with the pack's cutoff: the run's folder is the cutoff, never the time of the build.
        assert path == f"{DOCS}/validations/{body['suite_name']}/herald_audit_pack_2026/20270114T160000.000000Z/{dataset}.html"
        assert f"{DOCS}/expectations/{body['suite_name']}.html" in docs
    index = docs[INDEX].decode("utf-8")
    assert "2027-01-15 00:00:00 北京时间" in index and "herald_audit_published_items" in index
    _, items = _page(docs, "published_items")
    assert "Failed" in items  # GX's own words for a failed validation
    for item in ("item-002", "item-003", "item-004", "item-005"):  # the rows that failed, as GX lists them
        assert item in items, item
    _, totals = _page(docs, "control_totals")
    assert "Failed" in totals


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("src", "href", "action", "srcset", "data") and value]


def _resolve(base: str, reference: str) -> str:
    parts = list(PurePosixPath(base).parent.parts)
    for part in PurePosixPath(reference.split("#")[0].split("?")[0]).parts:
        parts = parts[:-1] if part == ".." else parts if part == "." else [*parts, part]
    return "/".join(parts)


def test_nothing_in_the_docs_loads_from_another_host_and_every_link_resolves(docs):
    pages = {p: c.decode("utf-8") for p, c in docs.items() if p.endswith(".html")}
    assert len(pages) >= 5
    for path, text in pages.items():
        assert not re.search(r"https?://", text), (path, re.search(r".{60}https?://.{60}", text))
        parser = _References()
        parser.feed(text)
        local = [r for r in parser.found if not r.startswith(("#", "javascript:", "data:"))]
        assert local, path
        for reference in local:
            assert _resolve(path, reference) in docs, (path, reference)
    vendored = [p for p in docs if "/static/vendor/" in p]
    assert {p.rsplit("/", 1)[1] for p in vendored} >= {"bootstrap.min.css", "bootstrap.bundle.min.js", "jquery.min.js",
                                                       "bootstrap-table.min.js", "fontawesome.min.css", "fa-solid-900.woff2"}
    for path in vendored:
        if path.endswith((".css", ".js")):
            text = docs[path].decode("utf-8")
            assert not re.search(r"(url\(|@import)\s*['\"]?https?://", text), path
            assert {m.group(1) for m in re.finditer(r"https?://([A-Za-z0-9.-]+)", text)} <= MENTIONED_HOSTS, path
            for reference in re.findall(r"url\(['\"]?(?!data:)([^'\")]+)['\"]?\)", text):
                assert _resolve(path, reference) in docs, (path, reference)


def _digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


def test_two_builds_give_the_same_bytes_in_other_processes_time_zones_and_hash_seeds(gated, docs, tmp_path):
    assert data_docs(gated) == docs
    text = "".join(c.decode("utf-8", "replace") for c in docs.values())
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", text)  # GX's uuid4s
    assert "logo-long.png?d=" not in text  # GX's cache-busting timestamp
    (tmp_path / "pack.pickle").write_bytes(pickle.dumps(gated))
    script = ("import hashlib, pickle, sys\nfrom herald.audit.data_docs import data_docs\n"
              "files = data_docs(pickle.load(open(sys.argv[1], 'rb')))\ndigest = hashlib.sha256()\n"
              "for path in sorted(files):\n    digest.update(path.encode() + b'\\0' + hashlib.sha256(files[path]).digest())\n"
              "print(digest.hexdigest())\n")
    env = {**os.environ, "TZ": "America/Los_Angeles", "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "pack.pickle")], env=env, capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[1], timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == _digest(docs)


def test_a_cdn_asset_or_gx_image_without_a_local_copy_is_refused():
    with pytest.raises(DataDocsError, match="cdn.example.org"):
        _offline("index.html", '<head><script src="https://cdn.example.org/lib.min.js"></script></head>')
    with pytest.raises(DataDocsError, match="new_logo.png"):
        _offline("index.html", '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/new_logo.png">')
    page = _offline("validations/s/r/t/b.html", '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
                    '<a href="https://greatexpectations.io">GX</a><div id="x-3f1c2a4e-8d2b-4c1e-9a7b-1234567890ab">')
    assert page.startswith('<script src="../../../../static/vendor/jquery/jquery.min.js"></script>')
    assert "<a>GX</a>" in page and "3f1c2a4e" not in page


def test_the_pack_carries_its_data_docs_and_links_them(gated, docs, tmp_path):
    folder = write_pack(gated, tmp_path)
    listed = pack_files(folder)
    assert {f"data/{p}" for p in docs} <= set(listed)
    assert {p: (folder / "data" / p).read_bytes() for p in docs} == docs
    assert verify_pack(folder) == []
    index = (folder / "data" / "index.html").read_text(encoding="utf-8")
    assert f'href="{INDEX}"' in index and "Great Expectations 数据文档" in index
    report = (folder / "data" / "quality" / "report.html").read_text(encoding="utf-8")
    assert f'href="../{INDEX}"' in report
    ungated = write_pack(replace(defect_pack(), account_id="acct-no-gate"), tmp_path)  # results_json "{}": no docs
    assert not (ungated / "data" / DOCS).exists()
    assert INDEX not in (ungated / "data" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_docs_read_offline_in_headless_chromium(gated, docs, tmp_path):
    """Name resolution off: the pages must come up whole from the pack's own files."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    chromium, chromedriver = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
    assert chromium.exists() and chromedriver.exists(), "apt-get install -y chromium chromium-driver"
    folder = write_pack(gated, tmp_path / "packs")
    kept = os.environ.get("HERALD_SCREENSHOTS")
    shots = Path(kept) if kept else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1400", "--host-resolver-rules=MAP * ~NOTFOUND",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='herald-chromium-docs-', dir=tmp_path)}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(chromedriver)), options=options)
    try:
        driver.get((folder / "data" / INDEX).as_uri())
        wait = WebDriverWait(driver, 60)
        rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "table.ge-index-page-validation-results-table tbody tr"))
        assert len(rows) == len(json.loads(gated.quality.results_json))
        assert "herald_audit_published_items" in driver.find_element(By.TAG_NAME, "body").text
        assert driver.execute_async_script(
            "const done = arguments[0]; document.fonts.ready.then(() => done(document.fonts.check('900 16px \"Font Awesome 6 Free\"')));")
        assert driver.execute_script("return getComputedStyle(document.querySelector('nav.navbar')).display") == "flex"
        driver.save_screenshot(str(shots / "data-docs-index.png"))
        wait.until(_click_first_row)  # GX's index opens a validation's page from its row
        wait.until(lambda d: "/validations/" in d.current_url)
        driver.get((folder / "data" / _page(docs, "published_items")[0]).as_uri())
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "table[data-toggle=table] tbody tr"))
        text = driver.find_element(By.TAG_NAME, "body").text
        assert "Failed" in text and "item-002" in text
        driver.save_screenshot(str(shots / "data-docs-published-items.png"))
        sources = driver.execute_script("return [...document.querySelectorAll('script[src], link[href], img[src]')]"
                                        ".map(e => e.src || e.href)")
        assert sources and all(source.startswith("file://") for source in sources), sources
        assert driver.execute_script("return typeof jQuery.fn.bootstrapTable === 'function' && typeof jQuery.fn.tooltip === 'function'")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors
    finally:
        driver.quit()


def _click_first_row(driver) -> bool:
    """bootstrap-table may draw the table again after the page loads: find the row afresh until the click lands."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        driver.find_element(By.CSS_SELECTOR, "table.ge-index-page-validation-results-table tbody tr").click()
    except StaleElementReferenceException:
        return False
    return True
