"""The policy as other modules read it: frozen dataclasses built from a validated policy document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from herald.policy.errors import PolicyError, PolicyIssue

ACCOUNT_LEVELS = ("group", "subordinate")
# A post chain's step that is a creation_chain step (CON-6: a paid repost goes along the creation chain).
CREATION_STEP_PREFIX = "creation:"

# Keys that cite rather than configure: they are not values of their own in the clause table.
CITATION_KEYS = ("clause", "value_clauses")

# Policy attribute names that callers pass to clause(), mapped to where the value sits in the file.
CLAUSE_ALIASES = {
    "platforms": "platforms.codes",
    "roles": "roles.labels",
    "creation_chain": "creation_chain.steps",
    "registration_required_fields": "registration.required_fields",
    "conditional_required_fields": "registration.conditional_required_fields",
    "change_filing_working_days": "change_filing.within_working_days",
    "handover_filing_required": "handover.filing_required",
    "confidential_route_role": "screening.confidential_route_role",
    "author_role": "approval_chains.author_role",
    "one_step_per_person": "approval_chains.one_step_per_person",
    "source_placeholders": "content.source_placeholders",
    "approval_response_timeout_hours": "approval_chains.response_timeout_hours",
}


class FrozenDict(dict):
    """A dict that refuses changes: policies are cached and shared, so nobody may edit one in place.

    It stays a real ``dict`` so ``json.dumps`` and ``isinstance(x, dict)`` keep working.
    """

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("policy values are read-only")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict:
        return dict(self)


@dataclass(frozen=True)
class CompetentDepartment:
    name: str
    function_code: str


@dataclass(frozen=True)
class CreationStep:
    code: str
    label: str


@dataclass(frozen=True)
class Cadence:
    period: str
    timezone: str
    min_items: int
    starts: str
    suspended_weeks: str
    deregistration: str
    count_deleted_by_user: bool
    count_banned_by_platform: bool
    duplicates: str
    rescan_weeks: int
    early_warning_weekday: int
    audit_year: str


@dataclass(frozen=True)
class Content:
    categories: FrozenDict  # code -> Chinese label, in the policy's order
    source_required: bool
    source_placeholders: tuple[str, ...]  # CON-2: words that name no real source
    weibo_max_chars: int
    weibo_url_weight: int
    image_types: tuple[str, ...]
    image_min_bytes: int  # exclusive
    image_max_bytes: int  # exclusive
    video_types: tuple[str, ...]
    video_max_bytes: int  # inclusive


@dataclass(frozen=True)
class LeadTime:
    regular_min_days: int
    urgent_min_working_days: int


@dataclass(frozen=True)
class MassSend:
    max_per_day: int
    preview_required: bool


@dataclass(frozen=True)
class Screening:
    lexicon: str
    confidential_route_role: str
    blocked_categories: tuple[str, ...]


@dataclass(frozen=True)
class Notifications:
    route_roles: tuple[str, ...]
    channels: FrozenDict  # channel kind (email, wecom_robot, dingtalk_robot) -> connection id
    language: str


@dataclass(frozen=True)
class InspectionThresholds:
    """How the annual audit pack turns a year's record into a verdict (ACC-6); each value is cited in the pack."""

    pass_max_missed_weeks: int
    remarks_max_missed_weeks: int
    unapproved_publication_fails: bool
    unarchived_items_max_for_pass: int
    fail_rules: tuple[str, ...]
    late_complaints_max_for_pass: int = 0  # SEC-4: complaints with a clock run out at the cutoff (more: remarks)
    open_crises_max_for_pass: int = 0  # SEC-3: crisis findings not handled at the cutoff (more: remarks)
    unsent_escalations_max_for_pass: int = 0  # SEC-2: escalations not sent by the cutoff (more: remarks)


@dataclass(frozen=True)
class AnnualInspection:
    enabled: bool
    reviewed_by_role: str
    failing_account_may_be_deregistered: bool
    thresholds: InspectionThresholds | None = None  # None: the policy sets none (herald.audit.verdict's defaults)


@dataclass(frozen=True)
class Assessment:
    enabled: bool
    since_on: date | None
    violation_blocks_advanced_rating: bool


@dataclass(frozen=True)
class ComplaintClock:
    """How long one step of a complaint may take (SEC-4): ``amount`` hours, or ``amount`` Chinese working days."""

    amount: int
    unit: str  # hours | working_days


@dataclass(frozen=True)
class Complaints:
    assign_within: ComplaintClock
    answer_within: ComplaintClock
    follow_up_within: ComplaintClock


@dataclass(frozen=True)
class UnauthorisedAccounts:
    """The ACC-1 directory scan: platforms searched and the names that name or imply the company."""

    platforms: tuple[str, ...]
    names_from_org_units: bool
    extra_names: tuple[str, ...]
    min_name_chars: int
    results_per_query: int


@dataclass(frozen=True)
class CreationApprover:
    """Who answers one creation step (ACC-2): a holder of ``role`` for a unit. ``unit`` is ``applying`` (the
    applying unit), ``group:<function_code>`` (that department of the group) or ``company:<function_code>`` (that
    department of the applying unit's company, else of the nearest company above it)."""

    role: str
    unit: str


@dataclass(frozen=True)
class CreationApproval:
    approvers: FrozenDict  # creation step code -> CreationApprover
    related_departments_step: str | None  # the step the application's related departments also sign (000 §3.2)
    host_unit_opinion_step: str  # its approval is the form's host unit opinion (ACC-3)
    competent_opinion_step: str  # its approval is the form's competent department opinion (ACC-3)
    response_timeout_hours: int


@dataclass(frozen=True)
class DelegatedAccess:
    """PUB-6: who may grant a unit time-boxed publishing rights on which accounts, and for how long at most."""

    platforms: tuple[str, ...]
    activities: tuple[str, ...]  # interactive | live
    approver_role: str
    max_window_hours: int


@dataclass(frozen=True)
class SensitiveTopics:
    """CON-5: which author marks and screened categories need ``authorising_role``'s step in a post's chain."""

    marks: tuple[str, ...]
    screened_categories: tuple[str, ...]
    authorising_role: str
    position: str  # before_final | last


@dataclass(frozen=True)
class PaidRepost:
    """CON-6: the creation_chain steps a paid repost goes along (each answered by its creation_approval approver)."""

    steps: tuple[str, ...]
    position: str  # before_final | last


@dataclass(frozen=True)
class Policy:
    policy_id: str
    title: str
    source: str
    is_default: bool
    competent_department: CompetentDepartment
    platforms: tuple[str, ...]
    channels: FrozenDict  # platform -> api | webhook | manual
    roles: FrozenDict  # role code -> Chinese label
    author_role: str  # the role that drafts and submits (PUB-2); the author must hold it for the account
    one_step_per_person: bool  # PUB-2: nobody signs two steps of one post's chain
    approval_chains: FrozenDict  # account level -> tuple of approving role codes, in order
    approval_response_timeout_hours: int
    creation_steps: tuple[CreationStep, ...]
    registration_required_fields: tuple[str, ...]
    conditional_required_fields: FrozenDict  # field -> boolean field that makes it required
    change_filing_working_days: int
    change_filing_calendar: str
    change_filing_changes: tuple[str, ...]
    handover_filing_required: bool
    cadence: Cadence
    content: Content
    lead_time: LeadTime
    mass_send: MassSend
    screening: Screening
    notifications: Notifications
    annual_inspection: AnnualInspection
    assessment: Assessment
    clauses: FrozenDict  # dotted path -> citation, for every configured value
    path: Path
    content_hash: str  # sha256 of the file bytes: record it wherever a decision used this policy
    delegated_access: DelegatedAccess | None = None  # PUB-6 (None: the pack grants no delegated access)
    complaints: Complaints | None = None  # SEC-4 (None: the pack has no complaints section)
    unauthorised_accounts: UnauthorisedAccounts | None = None  # ACC-1 directory scan (None: not configured)
    creation_approval: CreationApproval | None = None  # ACC-2 approvers of the creation chain (None: not configured)
    sensitive_topics: SensitiveTopics | None = None  # CON-5 (None: a sensitive item cannot be queued)
    comment_watch: FrozenDict | None = None  # SEC-2/SEC-3 settings (herald.comments.settings; None: its defaults)
    paid_repost: PaidRepost | None = None  # CON-6 (None: a paid repost cannot be queued)

    @property
    def creation_chain(self) -> tuple[str, ...]:
        return tuple(step.code for step in self.creation_steps)

    @property
    def confidential_route_role(self) -> str:
        return self.screening.confidential_route_role

    def role_label(self, role: str) -> str:
        """The Chinese label of a chain step's role: a role of ``roles.labels``, or a creation step
        (``creation:<code>``, CON-6) by its creation_chain label."""
        if role.startswith(CREATION_STEP_PREFIX):
            code = role[len(CREATION_STEP_PREFIX):]
            label = next((step.label for step in self.creation_steps if step.code == code), code)
            return f"{label}（开通审批流程）"
        return self.roles.get(role, role)

    def approval_chain(self, level: str) -> tuple[str, ...]:
        """The roles that approve, in order, an item for an account of this level (PUB-2)."""
        try:
            return self.approval_chains[level]
        except KeyError:
            raise PolicyError([PolicyIssue(str(self.path), None, f"approval_chains.{level}",
                                           f"unknown account level {level!r} (known: {', '.join(self.approval_chains)})")]) from None

    def clause(self, dotted_path: str) -> str:
        """The citation for a value, by its path in the file (``cadence.starts``) or its attribute name here."""
        key = CLAUSE_ALIASES.get(dotted_path, dotted_path)
        try:
            return self.clauses[key]
        except KeyError:
            raise PolicyError([PolicyIssue(str(self.path), None, dotted_path, "no such value in the policy")]) from None


def clause_table(document: Mapping[str, Any]) -> FrozenDict:
    """Dotted path -> citation for every mapping entry under the top-level sections.

    The most specific citation wins: a section's ``clause`` covers all its values, a
    ``value_clauses`` entry overrides it for one value, and a nested ``clause`` for its subtree.
    """
    table: dict[str, str] = {}

    def walk(mapping: Mapping[str, Any], prefix: str, inherited: str | None) -> None:
        own = mapping.get("clause", inherited)
        overrides = mapping.get("value_clauses", {})
        for key, value in mapping.items():
            if key in CITATION_KEYS:
                continue
            path = f"{prefix}.{key}" if prefix else key
            cited = overrides.get(key, own)
            if isinstance(value, Mapping) and "clause" in value:
                cited = value["clause"]
            if cited is not None:
                table[path] = cited
            if isinstance(value, Mapping):
                walk(value, path, cited)

    walk(document, "", None)
    return FrozenDict(table)


def _thresholds(section: Mapping[str, Any] | None) -> InspectionThresholds | None:
    if section is None:
        return None
    return InspectionThresholds(
        pass_max_missed_weeks=section["pass_max_missed_weeks"],
        remarks_max_missed_weeks=section["remarks_max_missed_weeks"],
        unapproved_publication_fails=section["unapproved_publication_fails"],
        unarchived_items_max_for_pass=section["unarchived_items_max_for_pass"],
        fail_rules=tuple(section["fail_rules"]),
        late_complaints_max_for_pass=section.get("late_complaints_max_for_pass", 0),
        open_crises_max_for_pass=section.get("open_crises_max_for_pass", 0),
        unsent_escalations_max_for_pass=section.get("unsent_escalations_max_for_pass", 0),
    )


def _complaints(section: Mapping[str, Any] | None) -> Complaints | None:
    if section is None:
        return None
    clock = {name: ComplaintClock(section[name]["amount"], section[name]["unit"])
             for name in ("assign_within", "answer_within", "follow_up_within")}
    return Complaints(**clock)


def _unauthorised_accounts(section: Mapping[str, Any] | None) -> UnauthorisedAccounts | None:
    if section is None:
        return None
    return UnauthorisedAccounts(tuple(section["platforms"]), section["names_from_org_units"],
                                tuple(section["extra_names"]), section["min_name_chars"], section["results_per_query"])


def _creation_approval(section: Mapping[str, Any] | None) -> CreationApproval | None:
    if section is None:
        return None
    approvers = {code: CreationApprover(item["role"], item["unit"]) for code, item in section["approvers"].items()}
    return CreationApproval(FrozenDict(approvers), section["related_departments_step"], section["host_unit_opinion_step"],
                            section["competent_opinion_step"], section["response_timeout_hours"])


def _delegated_access(section: Mapping[str, Any] | None) -> DelegatedAccess | None:
    if section is None:
        return None
    return DelegatedAccess(tuple(section["platforms"]), tuple(section["activities"]), section["approver_role"],
                           section["max_window_hours"])


def _sensitive_topics(section: Mapping[str, Any] | None) -> SensitiveTopics | None:
    if section is None:
        return None
    return SensitiveTopics(tuple(section["marks"]), tuple(section["screened_categories"]), section["authorising_role"],
                           section["position"])


def _paid_repost(section: Mapping[str, Any] | None) -> PaidRepost | None:
    if section is None:
        return None
    return PaidRepost(tuple(section["steps"]), section["position"])


def build_policy(document: Mapping[str, Any], *, path: Path, content_hash: str) -> Policy:
    """Turn a document that passed validation (schema and checks) into a Policy."""
    d = document
    chains = d["approval_chains"]
    content = d["content"]
    cadence = d["cadence"]
    screening = d["screening"]
    notifications = d["notifications"]
    inspection = d["annual_inspection"]
    assessment = d["assessment"]
    return Policy(
        policy_id=d["policy_id"],
        title=d["title"],
        source=d["source"],
        is_default=d["default"],
        competent_department=CompetentDepartment(d["competent_department"]["name"],
                                                 d["competent_department"]["function_code"]),
        platforms=tuple(d["platforms"]["codes"]),
        channels=FrozenDict({k: v for k, v in d["channels"].items() if k not in CITATION_KEYS}),
        roles=FrozenDict(d["roles"]["labels"]),
        author_role=chains["author_role"],
        one_step_per_person=chains.get("one_step_per_person", True),
        approval_chains=FrozenDict({level: tuple(chains[level]) for level in ACCOUNT_LEVELS}),
        approval_response_timeout_hours=chains["response_timeout_hours"],
        creation_steps=tuple(CreationStep(s["code"], s["label"]) for s in d["creation_chain"]["steps"]),
        registration_required_fields=tuple(d["registration"]["required_fields"]),
        conditional_required_fields=FrozenDict(d["registration"]["conditional_required_fields"]),
        change_filing_working_days=d["change_filing"]["within_working_days"],
        change_filing_calendar=d["change_filing"]["calendar"],
        change_filing_changes=tuple(d["change_filing"]["changes"]),
        handover_filing_required=d["handover"]["filing_required"],
        cadence=Cadence(**{name: cadence[name] for name in Cadence.__dataclass_fields__}),
        content=Content(
            categories=FrozenDict({c["code"]: c["label"] for c in content["categories"]}),
            source_required=content["source_required"],
            source_placeholders=tuple(content.get("source_placeholders", ())),
            weibo_max_chars=content["weibo_max_chars"],
            weibo_url_weight=content["weibo_url_weight"],
            image_types=tuple(content["image_types"]),
            image_min_bytes=content["image_min_bytes"],
            image_max_bytes=content["image_max_bytes"],
            video_types=tuple(content["video_types"]),
            video_max_bytes=content["video_max_bytes"],
        ),
        lead_time=LeadTime(d["lead_time"]["regular_min_days"], d["lead_time"]["urgent_min_working_days"]),
        mass_send=MassSend(d["mass_send"]["max_per_day"], d["mass_send"]["preview_required"]),
        screening=Screening(screening["lexicon"], screening["confidential_route_role"],
                            tuple(screening["blocked_categories"])),
        notifications=Notifications(tuple(notifications["route_roles"]), FrozenDict(notifications["channels"]),
                                    notifications["language"]),
        annual_inspection=AnnualInspection(inspection["enabled"], inspection["reviewed_by_role"],
                                           inspection["failing_account_may_be_deregistered"],
                                           _thresholds(inspection.get("thresholds"))),
        assessment=Assessment(
            assessment["enabled"],
            date.fromisoformat(assessment["since_on"]) if assessment["since_on"] else None,
            assessment["violation_blocks_advanced_rating"],
        ),
        clauses=clause_table(d),
        path=path,
        content_hash=content_hash,
        delegated_access=_delegated_access(d.get("delegated_access")),
        complaints=_complaints(d.get("complaints")),
        unauthorised_accounts=_unauthorised_accounts(d.get("unauthorised_accounts")),
        creation_approval=_creation_approval(d.get("creation_approval")),
        sensitive_topics=_sensitive_topics(d.get("sensitive_topics")),
        paid_repost=_paid_repost(d.get("paid_repost")),
        comment_watch=(FrozenDict({k: tuple(v) if isinstance(v, list) else v for k, v in d["comment_watch"].items()
                                   if k not in CITATION_KEYS}) if d.get("comment_watch") else None),
    )
