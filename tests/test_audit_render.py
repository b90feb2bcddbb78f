"""The audit pack's renderers (herald.audit.render): a BagIt bag of HTML, PDF, Excel and CSV, identical to the byte.

Packs are built here by hand (an account pack, a group pack, a draft that failed the data-quality gate), so these
tests check the rendering alone; the builder's own tests check what goes into a pack. The PDF is checked as text
(pypdf) and as a picture (pdftoppm), and the build must refuse to run without a Chinese font.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from herald.audit.model import Column, Pack, QualityResult, Reason, Table, TieOut, Verdict
from herald.audit.render import PackConflict, list_packs, pack_folder, verify_pack, write_pack
from herald.audit.render_charts import iso_weeks_in, week_states
from herald.audit.render_formats import FontMissing, cjk_font_family

CUTOFF = datetime(2027, 1, 14, 16, 0, tzinfo=UTC)  # 2027-01-15 00:00 in Shanghai
LATER = datetime(2027, 2, 1, 16, 0, tzinfo=UTC)
ACCOUNT_NAME = "华夏能源集团官方微博"


def _weeks(missed: set[int], year: int = 2026) -> Table:
    rows = tuple((f"{year}-W{w:02d}", 0 if w in missed else 3, "missed" if w in missed else "ok")
                 for w in range(1, iso_weeks_in(year) + 1))
    return Table(key="publishing_by_week", title="按周发布", source="sql/audit/publishing_by_week.sql",
                 params={"year": year, "account_id": "acct-grp-weibo"},
                 columns=(Column("week", "ISO 周"), Column("items", "发布条数", "int"), Column("status", "是否达标")),
                 rows=rows, control_totals={"rows": len(rows), "items": sum(r[1] for r in rows)}, chart="week_calendar",
                 note="每周至少发布 1 条（PUB-5）")


def _items(count: int) -> Table:
    rows = tuple((f"item-{n:04d}", f"第 {n} 条：能源保供，“迎峰度夏”进行时, 含逗号", datetime(2026, 3, 1, n % 24, tzinfo=UTC),
                  n % 7 != 0, Decimal("1.50")) for n in range(1, count + 1))
    return Table(key="published_items", title="已发布信息", source="sql/audit/published_items.sql",
                 params={"year": 2026, "cutoff": CUTOFF.isoformat()},
                 columns=(Column("item_id", "信息编号"), Column("title", "标题"), Column("published_at", "发布时间", "datetime"),
                          Column("chain_complete", "审批链完整", "bool"), Column("lateness_minutes", "延迟（分钟）", "decimal")),
                 rows=rows, control_totals={"rows": count})


def account_pack(*, cutoff: datetime = CUTOFF, items: int = 40, passed: bool = True, bundles: int | None = None) -> Pack:
    bundles = items if bundles is None else bundles
    months = Table(key="publishing_by_month", title="按月发布", source="sql/audit/publishing_by_month.sql",
                   params={"year": 2026}, columns=(Column("month", "月份"), Column("items", "条数", "int")),
                   rows=tuple((f"2026-{m:02d}", 10 + m) for m in range(1, 13)), chart="bar",
                   control_totals={"items": sum(10 + m for m in range(1, 13))})
    failures = () if passed else (
        {"dataset": "published_items", "expectation": "expect_column_values_to_be_unique", "column": "platform_item_id",
         "rows": "item-0007, item-0008", "why": "同一平台的信息编号重复（PUB-1）", "critical": True},)
    quality = QualityResult(passed=passed, results_json=json.dumps(
        {"success": passed, "meta": {"run_time": cutoff.isoformat()}}, sort_keys=True), failures=failures)
    verdict = Verdict(level="pass_with_remarks", may_be_rated_advanced=False, reasons=(
        Reason("PUB-5", "全年有 2 周未更新（第 5、6 周）", "003 §3.2.1"),
        Reason("ACC-4", "主管部门变更未及时备案", "003 §2.4")))
    return Pack(year=2026, cutoff=cutoff, account_id="acct-grp-weibo",
                title=f"{ACCOUNT_NAME}（acct-grp-weibo）2026 年度审计包",
                summary={"已发布信息": items, "审批链完整率": "100%", "开设日期": date(2019, 5, 1)},
                tables=(_items(items), _weeks({5, 6}), months), verdict=verdict, quality=quality, policy_id="003",
                tieouts=(TieOut("已发布信息 = 归档包", "published_items.rows", "archive_bundles.rows", items, bundles),))


def group_pack() -> Pack:
    ranking = Table(key="accounts_ranked", title="账号排名", source="sql/audit/group_ranking.sql", params={"year": 2026},
                    columns=(Column("account", "账号"), Column("unit", "主办单位"), Column("score", "得分", "int"),
                             Column("verdict", "检查结论")),
                    rows=(("华夏能源集团官方微博", "集团党委宣传部", 92, "合格"),
                          ("华夏能源集团北方分公司", "北方分公司办公室", 61, "不合格（建议注销）")),
                    control_totals={"rows": 2}, chart="bar")
    return Pack(year=2026, cutoff=CUTOFF, account_id=None, title="华夏能源集团 2026 年度审计包（集团汇总）",
                summary={"账号数": 2, "不合格": 1}, tables=(ranking,), tieouts=(), verdict=None,
                quality=QualityResult(passed=True, results_json="{}"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """The account pack, the group pack and a draft, each written once for the module."""
    root = tmp_path_factory.mktemp("packs")
    return {"root": root, "account": write_pack(account_pack(), root), "group": write_pack(group_pack(), root)}


def _all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_pack_gives_identical_bytes_in_every_file(rendered, tmp_path):
    again = write_pack(account_pack(), tmp_path)
    first, second = _all_files(rendered["account"]), _all_files(again)
    assert sorted(first) == sorted(second)
    assert [p for p in first if first[p] != second[p]] == []
    assert {"data/herald-audit-2026-acct-grp-weibo.pdf", "data/herald-audit-2026-acct-grp-weibo.xlsx",
            "data/csv/published_items.csv", "data/index.html", "data/tables/published_items.html",
            "data/charts/publishing_by_week.svg", "data/quality/validation_results.json", "data/changes.md",
            "manifest-sha256.txt", "tagmanifest-sha256.txt", "bagit.txt", "bag-info.txt"} <= set(first)
    assert rendered["account"] == pack_folder(rendered["root"], account_pack())
    assert rendered["account"].relative_to(rendered["root"]).as_posix() == "2026/20270114T160000Z/acct-grp-weibo"
    bag_info = first["bag-info.txt"].decode()
    assert "Bagging-Date: 2027-01-15" in bag_info and "Herald-Status: final" in bag_info


def test_a_pack_is_never_overwritten_and_a_later_cutoff_is_a_new_version_with_its_changes(tmp_path):
    first = write_pack(account_pack(), tmp_path)
    assert write_pack(account_pack(), tmp_path) == first  # same bytes: a no-op
    with pytest.raises(PackConflict, match="不会被覆盖"):
        write_pack(account_pack(items=41), tmp_path)
    later = write_pack(account_pack(cutoff=LATER, items=43, bundles=42), tmp_path)
    assert later != first and first.is_dir()
    changes = (later / "data" / "changes.md").read_text(encoding="utf-8")
    assert "表「已发布信息」：行数 40 → 43" in changes
    assert "勾稽核对「已发布信息 = 归档包」：一致 → 不一致（43 对 42）" in changes
    assert "状态：正式 → 草稿（数据质量未通过）" in changes
    assert "第一个版本" in (first / "data" / "changes.md").read_text(encoding="utf-8")
    listed = list_packs(tmp_path)
    assert [(e.stamp, e.status, e.quality_passed) for e in listed] == [
        ("20270114T160000Z", "final", True), ("20270201T160000Z", "draft", True)]
    assert listed[0].title.startswith(ACCOUNT_NAME) and listed[0].verdict_label == "基本合格（有整改意见）"


def test_a_standard_bagit_validator_accepts_the_pack_and_verify_names_what_changed(rendered, tmp_path):
    import bagit

    for kind in ("account", "group"):
        bagit.Bag(str(rendered[kind])).validate()
    copy = tmp_path / "copy"
    shutil.copytree(rendered["account"], copy)
    assert verify_pack(copy) == []
    with (copy / "data" / "csv" / "published_items.csv").open("ab") as changed:
        changed.write(b"item-9999,forged,,,\r\n")
    (copy / "data" / "changes.md").unlink()
    (copy / "data" / "extra.txt").write_text("added")
    problems = verify_pack(copy)
    assert problems == ["多出：data/extra.txt（包中有，清单中没有）", "已被修改：data/csv/published_items.csv（SHA-256 与清单不符）",
                        "缺失：data/changes.md（清单中有，包中没有）"]
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(copy)).validate()


def _pdf(folder: Path) -> Path:
    return next((folder / "data").glob("*.pdf"))


def test_the_pdf_reads_in_chinese_as_text(rendered):
    from pypdf import PdfReader

    reader = PdfReader(_pdf(rendered["account"]))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    for expected in (ACCOUNT_NAME, "基本合格（有整改意见）", "全年有 2 周未更新", "已发布信息 = 归档包", "2027-01-15 00:00:00"):
        assert expected in text.replace("\n", ""), expected
    assert reader.metadata.title.startswith(ACCOUNT_NAME)
    # The verdict's reasons cite their clauses in Chinese; a Herald default's English reason stays in the policy pack.
    assert "号制度" in text and "Herald default" not in text
    group_text = "".join(page.extract_text() or "" for page in PdfReader(_pdf(rendered["group"])).pages)
    assert "集团汇总" in group_text and "华夏能源集团北方分公司" in group_text


def test_the_pdf_first_page_is_not_blank_as_a_picture(rendered, tmp_path):
    out = tmp_path / "page"
    subprocess.run(["pdftoppm", "-gray", "-r", "60", "-f", "1", "-l", "1", str(_pdf(rendered["account"])), str(out)],
                   check=True, timeout=120)
    header, _, pixels = next(tmp_path.glob("page*.pgm")).read_bytes().partition(b"\n255\n")  # binary PGM (P5)
    width, height = (int(n) for n in header.split()[1:3])
    assert header.startswith(b"P5") and len(pixels) == width * height
    dark = sum(1 for value in pixels if value < 128) / len(pixels)
    assert 0.005 < dark < 0.5  # text on the page, not a blank (or black) sheet


def test_a_draft_carries_the_chinese_data_quality_report(tmp_path):
    folder = write_pack(account_pack(passed=False), tmp_path)
    report = (folder / "data" / "quality" / "report.html").read_text(encoding="utf-8")
    assert "本审计包为草稿" in report and "同一平台的信息编号重复（PUB-1）" in report and "item-0007" in report
    assert (folder / "data" / "quality" / "failures.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "Herald-Status: draft" in (folder / "bag-info.txt").read_text(encoding="utf-8")
    assert not (list_packs(tmp_path)[0].quality_passed)


def test_the_build_fails_loudly_without_a_chinese_font(tmp_path, monkeypatch):
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig></fontconfig>\n')
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    with pytest.raises(FontMissing, match="未找到任何中文字体"):
        write_pack(account_pack(), tmp_path / "packs")
    assert not (tmp_path / "packs" / "2026").exists() or not any((tmp_path / "packs" / "2026").rglob("*.pdf"))
    monkeypatch.delenv("FONTCONFIG_FILE")
    assert cjk_font_family()


def test_the_workbook_has_one_sheet_per_table_and_the_csv_is_excel_friendly(rendered):
    data = rendered["account"] / "data"
    with zipfile.ZipFile(next(data.glob("*.xlsx"))) as book:
        workbook_xml = book.read("xl/workbook.xml").decode("utf-8")
        core = book.read("docProps/core.xml").decode("utf-8")
    sheets = [part.split('"', 1)[0] for part in workbook_xml.split('<sheet name="')[1:]]
    assert sheets == ["说明", "已发布信息", "按周发布", "按月发布"]
    assert "2027-01-15T00:00:00Z" in core
    csv_bytes = (data / "csv" / "published_items.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf" + b"item_id,title,published_at,chain_complete,lateness_minutes\r\n")
    assert "item-0001,\"第 1 条：能源保供，“迎峰度夏”进行时, 含逗号\",2026-03-01T09:00:00+08:00,true,1.50\r\n" in \
        csv_bytes.decode("utf-8-sig")
    assert len(csv_bytes.decode("utf-8-sig").splitlines()) == 41


def test_the_html_pack_shows_each_tables_source_and_loads_nothing_from_the_internet(rendered):
    data = rendered["account"] / "data"
    page = (data / "tables" / "published_items.html").read_text(encoding="utf-8")
    for expected in ("sql/audit/published_items.sql", "数据截止", "2027-01-15 00:00:00", "行数", "已发布信息 = 归档包"):
        assert expected in page
    for path in data.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text and "http://" not in text.replace("http://www.w3.org", "")
        assert "https://" not in text
    svg = (data / "charts" / "publishing_by_week.svg").read_text(encoding="utf-8")
    assert svg.count("<rect") == 53 + 2 and "未达标 2 周" in svg  # the weeks and the legend (met, missed)


def test_the_calendar_has_the_iso_weeks_of_the_year():
    assert iso_weeks_in(2026) == 53 and iso_weeks_in(2025) == 52 and iso_weeks_in(2020) == 53
    states = week_states(_weeks({5}, 2025), 2025)
    assert len(states) == 52 and states[5] == ("missed", 0) and states[6] == ("ok", 3)
    # A row of another ISO week-year (2026-W05 in a 2025 calendar) colours nothing.
    assert set(week_states(_weeks({5}, 2026), 2025).values()) == {("none", 0)}
    builders = Table(key="weekly", title="每周更新情况", source="sql/audit/weekly_items.sql", params={},
                     columns=(Column("week", "周"), Column("counted_items", "计入条数", "int"), Column("judgement", "判定代码")),
                     rows=(("2026-W01", 0, "not_judged"), ("2026-W02", 2, "met"), ("2026-W03", 0, "missed"),
                           ("2026-W04", 0, "short"), ("2026-W53", 0, "not_yet")))
    states = week_states(builders, 2026)
    assert [states[w][0] for w in (1, 2, 3, 4, 5, 53)] == ["exempt", "ok", "missed", "short", "none", "pending"]


def test_the_packs_page_lists_packs_behind_the_airflow_login(api, tmp_path, monkeypatch):
    from airflow.api_fastapi.core_api.security import get_user

    from herald_airflow import api as herald_api

    write_pack(account_pack(), tmp_path)
    write_pack(group_pack(), tmp_path)
    monkeypatch.setenv("AIRFLOW_VAR_HERALD_PACK_ROOT", str(tmp_path))
    client = api("admin")
    page = client.get("/packs")
    assert page.status_code == 200, page.text
    assert ACCOUNT_NAME in page.text and "正式" in page.text and "2026 年度" in page.text
    listed = client.get("/packs/index.json", params={"year": 2026}).json()
    assert [(p["account_id"], p["status"], p["quality_passed"]) for p in listed["packs"]] == [
        (None, "final", True), ("acct-grp-weibo", "final", True)]
    base = "/packs/2026/20270114T160000Z/acct-grp-weibo"
    index = client.get(f"{base}/data/index.html")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    download = client.get(f"{base}/data/herald-audit-2026-acct-grp-weibo.pdf", params={"download": 1})
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert "attachment" in download.headers["content-disposition"]
    assert client.get(f"{base}/verify").json() == {"problems": []}
    assert client.get(f"{base}/../../../../etc/passwd").status_code == 404
    assert client.get(f"{base}/data/nothing.html").status_code == 404
    assert client.get("/packs", params={"year": "abc"}).status_code == 422
    herald_api.app.dependency_overrides.pop(get_user)
    assert client.get("/packs").status_code in (401, 403)


def test_the_command_line_lists_and_verifies_packs(rendered, tmp_path, capsys):
    from herald.__main__ import main

    assert main(["pack", "list", "--root", str(rendered["root"]), "--year", "2026"]) == 0
    listed = capsys.readouterr().out
    assert ACCOUNT_NAME in listed and "正式" in listed and "2 个审计包" in listed
    assert main(["pack", "list", "--root", str(rendered["root"]), "--year", "twenty"]) == 2
    assert "year" in capsys.readouterr().err
    assert main(["pack", "verify", str(rendered["account"])]) == 0
    copy = tmp_path / "copy"
    shutil.copytree(rendered["account"], copy)
    (copy / "data" / "pack.json").write_text("{}")
    assert main(["pack", "verify", str(copy)]) == 1
    assert "已被修改：data/pack.json" in capsys.readouterr().out


def test_the_command_line_builds_packs_with_the_builder(sqlite_db, tmp_path, capsys):
    from builders import small_org
    from herald.__main__ import main

    small_org(sqlite_db)
    argv = ["--db", sqlite_db.url, "pack", "build", "--year", "2026", "--cutoff", "2027-01-15T00:00:00+08:00",
            "--root", str(tmp_path)]
    assert main(argv) == 0, capsys.readouterr().err
    assert "已生成" in capsys.readouterr().out
    packs = list_packs(tmp_path)
    assert packs and any(p.account_id is None for p in packs)
    assert all(verify_pack(p.folder) == [] for p in packs)
    naive = [value.replace("+08:00", "") for value in argv]
    assert main(naive) == 2  # a cutoff without its zone is refused


def _item(db, item_id: str, account_id: str, shanghai: datetime) -> None:
    from builders import insert
    from herald.timeutil import SHANGHAI

    insert(db, "published_items", item_id=item_id, account_id=account_id, platform="wechat", origin="dispatch",
           platform_item_id=f"p-{item_id}", published_at=shanghai.replace(tzinfo=SHANGHAI).astimezone(UTC),
           platform_status="live")


def test_a_53_week_year_has_53_weekly_rows_and_calendar_cells(sqlite_db):
    """ISO 2026 and 2020 have a week 53. The weekly table and the calendar cover exactly the ISO week-year's weeks:
    2025-12-30 is 2026-W01, 2027-01-02 is 2026-W53, and 2025-12-23 (2025-W52) is not in 2026's calendar."""
    from builders import small_org
    from herald.audit.build import AuditWindow, build_account_pack
    from herald.audit.render_charts import chart_svg
    from herald.timeutil import iso_week_label, week_index_monday

    for year in (2020, 2026):
        labels = [iso_week_label(week_index_monday(w)) for w in AuditWindow(year, CUTOFF).weeks]
        assert labels == [f"{year}-W{n:02d}" for n in range(1, 54)]
    assert len(AuditWindow(2025, CUTOFF).weeks) == 52
    small_org(sqlite_db)
    for item_id, shanghai in (("I-W52-2025", datetime(2025, 12, 23, 10)), ("I-W01", datetime(2025, 12, 30, 10)),
                              ("I-W10", datetime(2026, 3, 4, 10)), ("I-W53", datetime(2027, 1, 2, 10))):
        _item(sqlite_db, item_id, "WX-GROUP", shanghai)
    pack = build_account_pack(sqlite_db, "WX-GROUP", AuditWindow(2026, CUTOFF), gate=False)
    weekly = next(t for t in pack.tables if t.key == "weekly")
    assert [row[0] for row in weekly.rows] == [f"2026-W{n:02d}" for n in range(1, 54)]
    assert "53个ISO周" in weekly.title and weekly.control_totals["rows"] == 53
    counted = {row[0]: row[2] for row in weekly.rows if row[2]}
    assert counted == {"2026-W01": 1, "2026-W10": 1, "2026-W53": 1}
    svg = chart_svg(weekly, 2026, cjk_font_family())
    assert svg.count("<title>第 ") == 53 and "共 53 个 ISO 周" in svg
    assert "<title>第 53 周：" in svg and "W53</text>" in svg


def test_a_mapped_tasks_run_of_accounts_is_built_gated_and_written_with_its_phases_timed(sqlite_db, tmp_path):
    """What one mapped task of herald_audit_pack does (write_account_packs), on a 53-week year; the PDF lists the
    exceptions (weeks short of the rule, items without a complete chain) and says how many there are."""
    from pypdf import PdfReader

    from builders import small_org
    from herald.audit.build import AuditWindow
    from herald.audit.render import Phases, account_batches, write_account_packs

    assert account_batches(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert account_batches([], 40) == []
    small_org(sqlite_db)
    for item_id, shanghai in (("I-W01", datetime(2025, 12, 30, 10)), ("I-W10", datetime(2026, 3, 4, 10)),
                              ("I-W53", datetime(2027, 1, 2, 10))):
        _item(sqlite_db, item_id, "WX-GROUP", shanghai)
    phases = Phases()
    written = write_account_packs(sqlite_db, ["WX-GROUP", "WB-GROUP"], AuditWindow(2026, CUTOFF), tmp_path, phases)
    assert [p.name for p in written] == ["WX-GROUP", "WB-GROUP"] and all(verify_pack(p) == [] for p in written)
    assert {"build", "gate", "charts", "csv", "html", "excel", "pdf", "bag"} <= set(phases.seconds)
    assert all(seconds >= 0 for seconds in phases.seconds.values()) and "pdf " in str(phases)
    text = "".join(page.extract_text() or "" for page in PdfReader(_pdf(written[0])).pages).replace("\n", "")
    assert "每周更新情况（53个ISO周" in text and "各表中的例外行" in text
    assert "其中例外（未更新或未达标的周）50 行，以下为前 25 行" in text  # 53 weeks, 3 with an item
    # The item list is the calendar year's (the weeks straddle it): I-W10 is listed (no approval chain, not archived).
    assert "I-W10" in text and "I-W01" not in text and "I-W53" not in text


def test_the_pdf_shows_the_exceptions_of_long_tables_and_the_first_rows_and_columns_of_others():
    from herald.audit.render_formats import PDF_MAX_COLUMNS, PDF_SAMPLE_ROWS, pdf_table

    judged = {3: "missed", 9: "short", 40: "missed"}
    weekly = Table(key="weekly", title="每周更新情况", source="sql/audit/weekly_items.sql", params={},
                   columns=(Column("week", "周"), Column("monday_on", "周一", "date"), Column("counted_items", "计入条数", "int"),
                            Column("live_items", "在线", "int"), Column("judgement", "判定代码"),
                            Column("judgement_label", "判定"), Column("finding_id", "检查发现编号")),
                   rows=tuple((f"2026-W{w:02d}", date.fromisocalendar(2026, w, 1), 0 if w in judged else 2,
                               0 if w in judged else 2, judged.get(w, "met"), judged.get(w, "达标"),
                               f"F-{w}" if judged.get(w) == "missed" else "") for w in range(1, 54)))
    view = pdf_table(weekly)
    assert view["exceptions"] and view["matching"] == 3 and view["what"] == "未更新或未达标的周"
    assert [row[0] for row in view["rows"]] == ["2026-W03", "2026-W09", "2026-W40"]
    assert [c.key for c in view["columns"]] == ["week", "monday_on", "counted_items", "judgement_label", "finding_id"]
    assert abs(sum(view["widths"]) - 100) < 0.5 and view["columns_cut"]
    # Without the columns its view reads, a table falls back to its first rows.
    plain = Table(key="weekly", title="周", source="x.sql", params={}, columns=weekly.columns[:4],
                  rows=tuple(r[:4] for r in weekly.rows))
    fallback = pdf_table(plain)
    assert not fallback["exceptions"] and fallback["matching"] == 53 and len(fallback["rows"]) == PDF_SAMPLE_ROWS
    wide = Table(key="unknown", title="宽表", source="x.sql", params={},
                 columns=tuple(Column(f"c{n}", f"第{n}列") for n in range(12)), rows=(tuple(range(12)),))
    cut = pdf_table(wide)
    assert len(cut["columns"]) == PDF_MAX_COLUMNS and cut["columns_cut"] and cut["rows"] == [[str(n) for n in range(8)]]
