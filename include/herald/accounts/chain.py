"""The creation chain of an application (ACC-2), expanded into concrete steps: who answers each one.

A policy's ``creation_chain`` names steps by code (申请部门, 集团行政中心, 总经办, 财务中心, 归档 in 000 §3.2); its
``creation_approval.approvers`` says which role answers each step for which unit: the applying unit, the group's
department with a function code (``group:admin_center``), or the department with a function code of the applying
unit's company, else of the nearest company above it (``company:enterprise_management``). The departments an
application names as related (相关部门) sign right after the step ``related_departments_step``.

The expansion is frozen on the application when it is filed, so a later change of the policy or the organisation does
not reshuffle a chain half walked; who holds a step's role is read when the step is answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from herald.errors import Violation


@dataclass(frozen=True)
class ChainStep:
    step_no: int  # 1-based
    code: str  # the policy's creation step code (recorded as account_events.step)
    label: str  # the policy's Chinese label
    role: str  # the role whose holder for unit_id answers
    unit_id: str
    unit_name: str
    related: bool = False  # a related department signing with the applying one

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> ChainStep:
        return cls(**{name: item[name] for name in cls.__dataclass_fields__})

    @property
    def title(self) -> str:
        """The step as people read it: 第2步 集团行政中心（行政中心）."""
        extra = "，相关部门" if self.related else ""
        return f"第{self.step_no}步 {self.label}（{self.unit_name}{extra}）"


class Org:
    """The organisation's units, to find companies and departments (``sql/accounts/units``)."""

    def __init__(self, units: Sequence[Mapping[str, Any]]):
        self.units = {u["unit_id"]: dict(u) for u in units}

    def get(self, unit_id: str | None) -> dict[str, Any] | None:
        return self.units.get(unit_id) if unit_id else None

    def company_of(self, unit_id: str) -> str | None:
        """The group or subsidiary a unit belongs to (itself when it is one)."""
        unit, seen = self.units.get(unit_id), set()
        while unit is not None and unit["kind"] == "department" and unit["unit_id"] not in seen:
            seen.add(unit["unit_id"])
            unit = self.units.get(unit["parent_id"])
        return unit["unit_id"] if unit else None

    def root_of(self, unit_id: str) -> str | None:
        unit, seen = self.units.get(unit_id), set()
        while unit is not None and unit["parent_id"] and unit["unit_id"] not in seen:
            seen.add(unit["unit_id"])
            unit = self.units.get(unit["parent_id"])
        return unit["unit_id"] if unit else None

    def department(self, company_id: str, function_code: str) -> str | None:
        for unit in sorted(self.units.values(), key=lambda u: u["unit_id"]):
            if unit["parent_id"] == company_id and unit["kind"] == "department" and unit["function_code"] == function_code:
                return unit["unit_id"]
        return None

    def resolve(self, spec: str, applying_unit_id: str) -> str | None:
        """The unit a policy's ``unit`` spec names for an application from ``applying_unit_id`` (None: not found)."""
        if spec == "applying":
            return applying_unit_id if applying_unit_id in self.units else None
        scope, _, function_code = spec.partition(":")
        if scope == "group":
            root = self.root_of(applying_unit_id)
            return self.department(root, function_code) if root else None
        company = self.company_of(applying_unit_id)
        while company is not None:
            found = self.department(company, function_code)
            if found is not None:
                return found
            parent = self.units[company]["parent_id"]
            company = self.company_of(parent) if parent else None
        return None


def expand_chain(policy: Any, org: Org, applying_unit_id: str, related_unit_ids: Sequence[str] = ()
                 ) -> tuple[list[ChainStep], list[Violation]]:
    """The concrete steps of the policy's creation chain for this application, or the violations that prevent it."""
    approval = policy.creation_approval
    if approval is None:
        return [], [Violation("policy_id", "ACC-2", f"{policy.policy_id}号制度未规定开通审批各步骤由谁审批"
                                                    "（creation_approval），无法受理开通申请")]
    violations: list[Violation] = []
    if related_unit_ids and approval.related_departments_step is None:
        violations.append(Violation("related_unit_ids", "ACC-2",
                                    f"{policy.policy_id}号制度的开通审批没有相关部门会签环节，请不要填写相关部门"))
    steps: list[ChainStep] = []
    for step in policy.creation_steps:
        approver = approval.approvers.get(step.code)
        if approver is None:
            violations.append(Violation("policy_id", "ACC-2", f"{policy.policy_id}号制度未规定审批步骤“{step.label}”由谁审批"))
            continue
        unit_id = org.resolve(approver.unit, applying_unit_id)
        if unit_id is None:
            violations.append(Violation("creating_unit_id", "ACC-2",
                                        f"组织机构中找不到审批步骤“{step.label}”对应的部门（{approver.unit}），无法受理开通申请"))
            continue
        steps.append(ChainStep(len(steps) + 1, step.code, step.label, approver.role, unit_id,
                               org.units[unit_id]["name"]))
        if step.code == approval.related_departments_step:
            for related in related_unit_ids:
                steps.append(ChainStep(len(steps) + 1, step.code, step.label, approver.role, related,
                                       org.units[related]["name"], related=True))
    return steps, violations


def chain_from_json(items: Sequence[Mapping[str, Any]]) -> list[ChainStep]:
    return [ChainStep.from_dict(item) for item in items]
