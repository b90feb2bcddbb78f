"""Unauthorised accounts (ACC-1; 000 §3.1, §3.3; 003 §1.4): platform accounts whose names name or imply the company
but that Herald has no record of.

The scan asks each platform's account search (``docs/directory-search.md``: Weibo's user-search suggestions, the WeChat
account search) for every company name, then decides itself which results name the company: the names (the group's
and subsidiaries' names and short names from ``org_units``, plus the pack's ``extra_names``) are folded like the
screening lexicon (``herald.screening.normalise``: width, case, traditional to simplified, lookalike characters and
separators) and matched with one Aho-Corasick automaton, so 「華夏能源集團」 and 「华夏 能源」 name 华夏能源 too. A
result whose platform id is not an account Herald knows (applied, active or suspended; a deregistered account still
on the platform is not authorised) becomes an ACC-1 finding about that platform account.

This complements the registry check (``herald.registry``), which raises ACC-1 about *registered* accounts missing
their creation approval (period ``standing``); this scan's findings have the period ``directory:<platform>``, so
neither scan resolves the other's. A finding is keyed by platform and platform account id, so a re-run refreshes it
and never duplicates it; it resolves itself on the first scan of that platform after the account is registered (or
no longer listed), and an acknowledged one ("someone is on it": reported to the platform, or found to be a fan
account) leaves the digests. A platform whose search failed keeps its findings untouched for that run.

Findings carry the matched unit as ``host_unit_id`` in their evidence, so the digests (``herald.cadence.digest``)
route them to that unit's head and its competent department, as every other finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from herald.db import Database, Transaction
from herald.errors import HeraldError
from herald.findings import Finding, Scope, record_findings
from herald.ledger import LedgerEntry, TaskRun
from herald.timeutil import require_aware

RULE_ID = "ACC-1"
SUBJECT_TYPE = "platform_account"
PERIOD_PREFIX = "directory:"
PERIOD_RANGE = (PERIOD_PREFIX, PERIOD_PREFIX + "~")  # every platform's directory period, for digests and the pack
_SUFFIXES = re.compile(r"(股份有限公司|有限责任公司|有限公司|公司)$")
_GROUP_TAIL = re.compile(r"集团$")


def period_for(platform: str) -> str:
    return f"{PERIOD_PREFIX}{platform}"


def scope_for(platform: str) -> Scope:
    return Scope(rule_ids=(RULE_ID,), period_from=period_for(platform), period_to=period_for(platform))


class DirectoryError(HeraldError):
    """A platform's search could not be read (transport error, an error body, a reply of the wrong shape)."""


@dataclass(frozen=True)
class Sighting:
    """One account in a platform's search results."""

    platform: str
    platform_account_id: str  # Weibo uid; WeChat __biz
    screen_name: str
    followers_count: int | None = None
    other_ids: tuple[str, ...] = ()  # ids an account may be registered under as well (a WeChat id)
    detail: Mapping[str, Any] = field(default_factory=dict)


class DirectorySource(Protocol):
    platform: str

    def search(self, query: str, count: int) -> list[Sighting]: ...


# --- the names and the automaton ------------------------------------------------------------------------------------


def short_names(name: str) -> list[str]:
    """A unit's name and its short forms: 华夏能源集团有限公司 -> 华夏能源集团有限公司, 华夏能源集团, 华夏能源."""
    names = [name.strip()]
    short = _SUFFIXES.sub("", names[0])
    if short and short != names[0]:
        names.append(short)
    shorter = _GROUP_TAIL.sub("", short)
    if shorter and shorter != short:
        names.append(shorter)
    return names


@dataclass(frozen=True)
class CompanyName:
    name: str
    unit_id: str | None  # the unit it names (None: the organisation as a whole, an extra name of the pack)
    unit_kind: str


def company_names(units: Iterable[Mapping[str, Any]], policy_section: Any) -> list[CompanyName]:
    """The names that name or imply the company, longest first, each once (a subsidiary's own name wins over the
    group's where both spell it)."""
    found: dict[str, CompanyName] = {}
    rank = {"subsidiary": 0, "group": 1, "extra": 2}
    candidates = []
    if policy_section.names_from_org_units:
        for unit in units:
            candidates += [CompanyName(n, unit["unit_id"], unit["kind"]) for n in short_names(unit["name"])]
    root = next((u["unit_id"] for u in units if not u.get("parent_id")), None)
    candidates += [CompanyName(n.strip(), root, "extra") for n in policy_section.extra_names]
    for candidate in candidates:
        if len(candidate.name) < policy_section.min_name_chars:
            continue
        kept = found.get(candidate.name)
        if kept is None or rank[candidate.unit_kind] < rank[kept.unit_kind]:
            found[candidate.name] = candidate
    return sorted(found.values(), key=lambda c: (-len(c.name), c.name))


class NameMatcher:
    """Which company names a screen name contains, after folding both like the screening lexicon."""

    def __init__(self, names: Iterable[CompanyName]):
        import ahocorasick_rs

        from herald.screening.normalise import normalise_term

        self.names: list[CompanyName] = []
        folded: dict[str, int] = {}
        for name in names:
            key = normalise_term(name.name)
            if key not in folded:
                folded[key] = len(self.names)
                self.names.append(name)
        self._patterns = list(folded)
        self._automaton = ahocorasick_rs.AhoCorasick(self._patterns) if self._patterns else None

    def match(self, screen_name: str) -> list[CompanyName]:
        """The names found in ``screen_name``, longest first (overlaps included: 华夏能源集团 and 华夏能源)."""
        from herald.screening.normalise import normalise

        if self._automaton is None or not screen_name:
            return []
        text = normalise(screen_name).text
        hits = {index for index, _, _ in self._automaton.find_matches_as_indexes(text, overlapping=True)}
        return sorted((self.names[i] for i in hits), key=lambda c: (-len(c.name), c.name))


# --- the platforms' searches ----------------------------------------------------------------------------------------


class WeiboDirectory:
    """Weibo ``GET 2/search/suggestions/users.json {q, count}`` -> ``[{screen_name, uid, followers_count}]``."""

    platform = "weibo"

    def __init__(self, base_url: str, access_token: str, session: Any = None, timeout: tuple[float, float] = (3.05, 15.0)):
        import requests

        self.base_url, self.token, self.timeout = base_url.rstrip("/") + "/", access_token, timeout
        self.session = session or requests.Session()

    def search(self, query: str, count: int) -> list[Sighting]:
        body = _get_json(self.session, self.base_url + "search/suggestions/users.json",
                         {"q": query, "count": count, "access_token": self.token}, self.timeout, "weibo", (self.token,))
        if isinstance(body, dict) and "error_code" in body:
            raise DirectoryError(f"weibo search: error {body.get('error_code')} {str(body.get('error'))[:200]}")
        if not isinstance(body, list):
            raise DirectoryError("weibo search: the answer is not a list of users")
        try:
            return [Sighting("weibo", str(u["uid"]), str(u["screen_name"]), int(u.get("followers_count") or 0))
                    for u in body]
        except (KeyError, TypeError, ValueError) as exc:
            raise DirectoryError(f"weibo search: a user without uid or screen_name ({exc})") from exc


class WeChatDirectory:
    """The WeChat account search (no official API; see ``docs/directory-search.md``): ``GET
    search/official_accounts {query, page, count}`` -> ``{errcode, items: [{nickname, wechat_id, biz, principal}]}``."""

    platform = "wechat"
    PAGE_SIZE = 20

    def __init__(self, base_url: str, session: Any = None, timeout: tuple[float, float] = (3.05, 15.0)):
        import requests

        self.base_url, self.timeout = base_url.rstrip("/") + "/", timeout
        self.session = session or requests.Session()

    def search(self, query: str, count: int) -> list[Sighting]:
        found: list[Sighting] = []
        page = 1
        while len(found) < count:
            body = _get_json(self.session, self.base_url + "search/official_accounts",
                             {"query": query, "page": page, "count": self.PAGE_SIZE}, self.timeout, "wechat", ())
            if not isinstance(body, dict) or body.get("errcode", 0) != 0:
                code = body.get("errcode") if isinstance(body, dict) else "?"
                raise DirectoryError(f"wechat search: errcode {code} {str(body.get('errmsg', '') if isinstance(body, dict) else '')[:200]}")
            items = body.get("items") or []
            try:
                found += [Sighting("wechat", str(i["biz"]), str(i["nickname"]), None,
                                   (str(i["wechat_id"]),) if i.get("wechat_id") else (),
                                   {"principal": i.get("principal", ""), "verified": bool(i.get("verified"))})
                          for i in items]
            except (KeyError, TypeError) as exc:
                raise DirectoryError(f"wechat search: an item without biz or nickname ({exc})") from exc
            if len(items) < self.PAGE_SIZE or page * self.PAGE_SIZE >= int(body.get("total") or 0):
                break
            page += 1
        return found[:count]


def _get_json(session: Any, url: str, params: dict[str, Any], timeout: Any, platform: str,
              secrets: tuple[str, ...]) -> Any:
    import requests

    from herald.platforms.transport import redact

    try:
        response = session.get(url, params=params, timeout=timeout)
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DirectoryError(redact(f"{platform} search: {type(exc).__name__}: {exc}", secrets)[:500]) from exc


# --- the scan ------------------------------------------------------------------------------------------------------


@dataclass
class ScanResult:
    findings: dict[str, list[Finding]]  # per platform scanned successfully
    failed: dict[str, str]  # platform -> why its search could not be read
    sightings: int = 0
    queries: int = 0


def _summary(sighting: Sighting, matched: list[CompanyName], unit_name: str, policy: Any) -> str:
    from herald.cadence.labels import platform_label
    from herald.policy.citation import citation

    names = "、".join(f"“{m.name}”" for m in matched[:3])
    ids = "、".join((sighting.platform_account_id, *sighting.other_ids))
    return (f"{platform_label(sighting.platform)}账号「{sighting.screen_name}」（ID {ids}）的名称含{names}，指向{unit_name}，"
            f"但不在Herald的账号登记中，疑为未经批准开通的账号（{citation(policy, 'unauthorised_accounts')}，规则{RULE_ID}）。"
            "请核实：属本单位的，补办开通审批和备案登记；不属本单位的，向平台举报处理，并将本问题标记为“已确认”。")


def scan_directories(tx: Transaction, sources: Iterable[DirectorySource], policy: Any, *, now: datetime) -> ScanResult:
    """Search every source for every company name; return the findings per platform and record the sightings."""
    from herald.cadence.labels import unit_label

    now = require_aware(now, "now")
    section = policy.unauthorised_accounts
    units = tx.fetch("unauthorised/name_units")
    all_units = {u["unit_id"]: u for u in tx.fetch("cadence/org_units")}
    names = company_names(units, section)
    matcher = NameMatcher(names)
    sources = [s for s in sources if s.platform in section.platforms]
    registered = {(r["platform"], r["platform_account_id"]) for r in tx.fetch(
        "unauthorised/registered_ids", platforms=json.dumps(sorted({s.platform for s in sources})))}
    result = ScanResult(findings={}, failed={})
    for source in sources:
        seen: dict[str, Sighting] = {}
        try:
            for name in names:
                result.queries += 1
                for sighting in source.search(name.name, section.results_per_query):
                    seen.setdefault(sighting.platform_account_id, sighting)
        except DirectoryError as exc:
            result.failed[source.platform] = str(exc)
            continue
        findings = []
        for sighting in seen.values():
            matched = matcher.match(sighting.screen_name)
            if not matched:
                continue  # the platform's search is fuzzier than the policy: only names that name the company count
            is_registered = any((source.platform, i) in registered for i in (sighting.platform_account_id, *sighting.other_ids))
            unit_id = matched[0].unit_id
            tx.execute("unauthorised/sighting_upsert", platform=source.platform,
                       platform_account_id=sighting.platform_account_id, screen_name=sighting.screen_name,
                       followers_count=sighting.followers_count, unit_id=unit_id, is_registered=is_registered,
                       matched_names=json.dumps([m.name for m in matched], ensure_ascii=False), now=now)
            result.sightings += 1
            if is_registered:
                continue
            unit_name = unit_label(unit_id, all_units) if unit_id in all_units else "本公司"
            findings.append(Finding(
                rule_id=RULE_ID, subject_type=SUBJECT_TYPE, subject_id=f"{source.platform}:{sighting.platform_account_id}",
                period=period_for(source.platform), severity="high", summary=_summary(sighting, matched, unit_name, policy),
                evidence={"host_unit_id": unit_id, "platform": source.platform,
                          "platform_account_id": sighting.platform_account_id, "other_ids": list(sighting.other_ids),
                          "screen_name": sighting.screen_name, "matched_names": [m.name for m in matched],
                          "policy_id": policy.policy_id, **dict(sighting.detail)}))
        result.findings[source.platform] = findings
    return result


def unauthorised_scan(db: Database, run: TaskRun, sources: Iterable[DirectorySource], *, now: datetime,
                      policy: Any = None) -> LedgerEntry:
    """The scheduled scan: findings and sightings with the ledger entry, in one transaction. Platforms whose search
    failed are named in the ledger (``failed_platforms``) and their findings left as they were; the caller decides
    whether that fails the run (the DAG retries it)."""
    from herald.jobs import run_recorded
    from herald.policy import default_policy_id, load_policy

    policy = policy or load_policy(default_policy_id())
    sources = list(sources)

    def body(tx: Transaction, entry: LedgerEntry) -> None:
        result = scan_directories(tx, sources, policy, now=now)
        reported = resolved = 0
        for platform, findings in sorted(result.findings.items()):
            counts = record_findings(tx, findings, scope=scope_for(platform), detected_by=f"{run.dag_id}.{run.task_id}",
                                     now=now)
            reported, resolved = reported + counts["reported"], resolved + counts["resolved"]
        entry.inputs.update({"platforms": sorted(s.platform for s in sources), "policy_id": policy.policy_id,
                             "policy_sha256": policy.content_hash, "as_of": now.isoformat()})
        entry.row_counts.update({"queries": result.queries, "sightings": result.sightings,
                                 "findings_reported": reported, "findings_resolved": resolved,
                                 "platforms_failed": len(result.failed)})
        entry.outputs.update({"findings": sorted(f.finding_id for fs in result.findings.values() for f in fs),
                              "failed_platforms": result.failed})

    return run_recorded(db, run, body)


def digests(tx: Transaction, *, as_of: datetime) -> list:
    """The open unauthorised-account findings as digests for each matched unit and its competent department."""
    from herald.cadence.digest import build_digests

    return build_digests(tx, periods={RULE_ID: PERIOD_RANGE}, reminders=(), as_of=as_of)


def audit_unauthorised(tx: Transaction, account_id: str | None, year: int) -> list[dict[str, Any]]:
    """Unauthorised-account findings open at any time in the calendar ``year`` (Beijing time), with their sightings
    (``sql/unauthorised/audit.sql``). For an account: those naming its host unit (they are about no registered
    account); None: the group's, every one."""
    from herald.timeutil import shanghai_midnight_utc

    rows = tx.fetch("unauthorised/audit", from_at=shanghai_midnight_utc(date(year, 1, 1)),
                    to_at=shanghai_midnight_utc(date(year + 1, 1, 1)))
    out = [{**row, "evidence": json.loads(row["evidence"])} for row in rows]
    if account_id is None:
        return out
    account = tx.fetch_one("complaints/account", account_id=account_id)
    unit = account["host_unit_id"] if account else None
    return [row for row in out if row["evidence"].get("host_unit_id") == unit]

