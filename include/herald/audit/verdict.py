"""The inspection verdict of an account's year (ACC-6) and whether its unit may be rated advanced (SEC-5).

The verdict is computed from a handful of figures (``Figures``), filled the same way from an account pack's
tables and from the group pack's aggregates, so an account's verdict reads the same in both. Every threshold
comes from the account's policy pack (``annual_inspection.thresholds``) and every reason cites its clause.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from herald.audit.model import Reason, Verdict
from herald.policy.model import InspectionThresholds, Policy

WEEKLY_RULE = "PUB-5"
DEFAULT_THRESHOLDS = InspectionThresholds(pass_max_missed_weeks=0, remarks_max_missed_weeks=1,
                                          unapproved_publication_fails=True, unarchived_items_max_for_pass=0,
                                          fail_rules=("ACC-1", "PUB-1", "PUB-3"))
DEFAULT_CLAUSE = "Herald default (the policy pack sets no annual_inspection.thresholds)"
LEVEL_ORDER = {"pass": 0, "pass_with_remarks": 1, "fail": 2}


@dataclass(frozen=True)
class Figures:
    """What the verdict weighs, for one account and year."""

    missed_weeks: int  # PUB-5 findings of the year that stand (not withdrawn by a later scan)
    unapproved_items: int  # items Herald published without a complete approval chain for their content hash
    unarchived_items: int  # items without an archive bundle by the cutoff (PUB-4)
    findings_by_rule: Mapping[str, int] = field(default_factory=dict)  # standing findings of the year, by rule
    registration_missing: tuple[str, ...] = ()  # registration fields left empty (ACC-3)
    late_complaints: int = 0  # SEC-4: complaints of the year with a step late or overdue at the cutoff
    open_crises: int = 0  # SEC-3: the comment watch's crisis findings of the year not handled at the cutoff
    unsent_escalations: int = 0  # SEC-2: comment escalations of the year not sent by the cutoff

    @property
    def violations(self) -> int:
        return sum(self.findings_by_rule.values()) + self.unapproved_items


def thresholds_of(policy: Policy) -> tuple[InspectionThresholds, bool]:
    """The policy's thresholds, and whether they are its own (else Herald's defaults)."""
    own = policy.annual_inspection.thresholds
    return (own, True) if own is not None else (DEFAULT_THRESHOLDS, False)


def _clause(policy: Policy, own: bool, name: str) -> str:
    path = f"annual_inspection.thresholds.{name}"
    # A value the pack's thresholds leave out (the lifecycle ones are optional) takes Herald's default, cited so.
    return policy.clause(path) if own and path in policy.clauses else DEFAULT_CLAUSE


# The lifecycle and watch records weighed as remarks (issue 15): figure, threshold, rule, what a reader is told.
RECORD_REMARKS = (
    ("late_complaints", "late_complaints_max_for_pass", "SEC-4", "{n}件客户投诉截至基准时间未在时限内受理、答复或回访"),
    ("open_crises", "open_crises_max_for_pass", "SEC-3", "{n}起舆情危机截至基准时间尚未处置完毕"),
    ("unsent_escalations", "unsent_escalations_max_for_pass", "SEC-2", "{n}条违法违规或损害声誉的评论截至基准时间未报送"),
)


def judge(figures: Figures, policy: Policy) -> Verdict:
    """Pass, pass with remarks, or fail, with every reason and its citation."""
    limits, own = thresholds_of(policy)
    fails: list[Reason] = []
    remarks: list[Reason] = []
    missed = figures.missed_weeks
    if missed > limits.remarks_max_missed_weeks:
        fails.append(Reason(WEEKLY_RULE, f"全年有{missed}周未按规定更新，超过基本合格的上限（{limits.remarks_max_missed_weeks}周）",
                            _clause(policy, own, "remarks_max_missed_weeks")))
    elif missed > limits.pass_max_missed_weeks:
        remarks.append(Reason(WEEKLY_RULE, f"全年有{missed}周未按规定更新，超过合格的上限（{limits.pass_max_missed_weeks}周）",
                              _clause(policy, own, "pass_max_missed_weeks")))
    if figures.unapproved_items:
        reason = Reason("PUB-2", f"{figures.unapproved_items}条信息发布时，所发布内容的审批链不完整",
                        _clause(policy, own, "unapproved_publication_fails"))
        (fails if limits.unapproved_publication_fails else remarks).append(reason)
    if figures.unarchived_items > limits.unarchived_items_max_for_pass:
        remarks.append(Reason("PUB-4", f"{figures.unarchived_items}条已发布信息截至基准时间没有归档包",
                              _clause(policy, own, "unarchived_items_max_for_pass")))
    for rule_id in sorted(figures.findings_by_rule):
        count = figures.findings_by_rule[rule_id]
        if rule_id == WEEKLY_RULE or count == 0:
            continue
        text = f"规则{rule_id}本年度有{count}项检查发现"
        if rule_id in limits.fail_rules:
            fails.append(Reason(rule_id, text + "（该规则的违规即不合格）", _clause(policy, own, "fail_rules")))
        else:
            remarks.append(Reason(rule_id, text, _clause(policy, own, "fail_rules")))
    for figure, limit, rule_id, text in RECORD_REMARKS:
        count, most = getattr(figures, figure), getattr(limits, limit)
        if count > most:
            remarks.append(Reason(rule_id, text.format(n=count) + f"，超过合格的上限（{most}）", _clause(policy, own, limit)))
    if figures.registration_missing and not figures.findings_by_rule.get("ACC-3"):
        remarks.append(Reason("ACC-3", "备案登记表缺少：" + "、".join(figures.registration_missing),
                              policy.clause("registration_required_fields")))
    level = "fail" if fails else "pass_with_remarks" if remarks else "pass"
    reasons = fails + remarks
    if level == "fail" and policy.annual_inspection.failing_account_may_be_deregistered:
        reasons.append(Reason("ACC-6", "年度审核不合格，建议主管部门责令注销该账号",
                              policy.clause("annual_inspection.failing_account_may_be_deregistered")))
    blocks = policy.assessment.enabled and policy.assessment.violation_blocks_advanced_rating
    may_be_advanced = level == "pass" and not (blocks and figures.violations)
    if blocks and figures.violations:
        reasons.append(Reason("SEC-5", "本年度存在违规，主办单位不得评为先进",
                              policy.clause("assessment.violation_blocks_advanced_rating")))
    return Verdict(level=level, reasons=tuple(reasons), may_be_rated_advanced=may_be_advanced)
