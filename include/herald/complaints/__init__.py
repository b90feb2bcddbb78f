"""Complaints received through the accounts (SEC-4, seed 002 art.4): registered, assigned (受理), answered (答复) and
followed up (回访), each step on a clock from the account's policy pack (section ``complaints``).

Clocks: assigning and answering run from the time the complaint was received, following up from the answer. A clock
is ``amount`` hours, or ``amount`` Chinese working days after the day it starts (Shanghai dates, the State Council's
arrangements through ``herald.calendar``): a step due "within 2 working days" of a complaint received on a Friday is
due by the end of the following Tuesday (Beijing time). Due times are computed when the clock starts and stored (UTC)
with the policy's id and content hash, so a later change of the pack does not move a running clock.

Who acts (rule ORG-2, as for findings): the people of the account's host unit and of the competent department covering
it, and the holders of their routing roles (``herald.findings.answerable_units``). The assignee must be one of them;
only the assignee answers. The comment watch registers complaints it classifies with ``register_complaint`` in its
own name (``via="pipeline"``); one comment is registered once (``source_ref``).

Every change of state is one row of ``complaint_events``. Overdue steps become SEC-4 findings (``check_overdue``), one
per complaint and step, kept until a person resolves them: a step answered late stays a breach.
"""

from herald.complaints.workflow import (
    RULE_ID,
    ComplaintConflict,
    ComplaintNotFound,
    answer_complaint,
    assign_complaint,
    audit_complaints,
    check_overdue,
    complaint_detail,
    due_at,
    follow_up_complaint,
    list_complaints,
    overdue_findings,
    register_complaint,
)

__all__ = [
    "RULE_ID", "ComplaintConflict", "ComplaintNotFound", "answer_complaint", "assign_complaint", "audit_complaints",
    "check_overdue", "complaint_detail", "due_at", "follow_up_complaint", "list_complaints", "overdue_findings",
    "register_complaint",
]
