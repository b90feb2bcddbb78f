"""Asking approvers (PUB-1, PUB-2): which step is pending, who may answer, what the request says, how an answer counts.

One request asks one step of one post's chain, for one content version (:class:`AskedStep`); its
id (the run id of ``herald_post_approval``) names all three, so the same step is never asked twice
and an open request tells which step it asks. The step may be decided through another door (the
CLI, the HTTP API) or made moot (an edit, the publish time passing) at any moment, so the post is
read again both when asking (:func:`prepare_request`) and when the answer comes (:func:`record_answer`):
a step no longer pending is not asked, and an answer to it is not written. Whatever door decides,
the decision goes through ``herald.posts.approval.decide``.

Plain functions over Herald's database: ``herald_airflow.approval_operator`` wires them into an
Airflow human-in-the-loop task. Heavier modules are imported inside the functions, so the DAG file
that imports this one stays cheap to parse.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from herald.errors import HeraldError

APPROVAL_DAG_ID = "herald_post_approval"  # the DAG whose runs are the requests (one run per AskedStep)
APPROVE, REJECT = "批准", "驳回"
DECISION_OF_OPTION = {APPROVE: "approved", REJECT: "rejected"}
EXCERPT_CHARS = 200
RUN_ID_HASH_CHARS = 12

STATE_ZH = {"awaiting_approval": "待审批", "approved": "已批准", "rejected": "已驳回", "expired": "已过期",
            "published": "已发布", "failed": "发布失败", "cancelled": "已撤销"}
DOOR_ZH = {"cli": "命令行", "api": "HTTP 接口", "hitl": "Airflow 审批任务"}
DECISION_ZH = {"approved": "批准", "rejected": "驳回"}
FIELD_ZH = {"title": "标题", "body": "正文", "source": "来源"}
ROUTE_ZH = {"confidentiality_review": "疑似涉密，审批链已加入保密审查环节",
            "content_review": "命中需人工审核的词语，请审批时重点核对"}

_log = logging.getLogger(__name__)


class StepNotPending(HeraldError):
    """The asked step no longer awaits a decision; the message says why, in words for people."""


class NobodyToAsk(HeraldError):
    """No one may answer the step: nobody holds its role, or the holders have no Airflow login."""


class AnswerRefused(HeraldError):
    """An answer that cannot be recorded as a decision (unknown responder, or ``decide`` refused it)."""


@dataclass(frozen=True)
class AskedStep:
    """Which step of which post a request asks, for which content version.

    ``content_hash`` is the full SHA-256 when it comes from the run's conf, and its first
    ``RUN_ID_HASH_CHARS`` characters when parsed back from a run id (``matches`` compares either).
    """

    post_id: str
    content_hash: str
    step_no: int

    _RUN_ID = re.compile(rf"^approval__(?P<post_id>.+)__(?P<hash>[0-9a-f]{{{RUN_ID_HASH_CHARS}}})__(?P<step>\d+)$")

    @property
    def run_id(self) -> str:
        return f"approval__{self.post_id}__{self.content_hash[:RUN_ID_HASH_CHARS]}__{self.step_no}"

    @classmethod
    def from_run_id(cls, run_id: str) -> AskedStep | None:
        match = cls._RUN_ID.match(run_id)
        if match is None:
            return None
        return cls(match["post_id"], match["hash"], int(match["step"]))

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> AskedStep:
        return cls(str(params["post_id"]), str(params["content_hash"]), int(params["step_no"]))

    def matches(self, content_hash: str) -> bool:
        return len(self.content_hash) >= RUN_ID_HASH_CHARS and content_hash.startswith(self.content_hash)

    def trigger_kwargs(self) -> dict[str, Any]:
        """What the router's TriggerDagRunOperator needs to start the run asking this step."""
        return {"trigger_run_id": self.run_id,
                "conf": {"post_id": self.post_id, "content_hash": self.content_hash, "step_no": self.step_no}}


@dataclass(frozen=True)
class ApprovalRequest:
    subject: str
    body: str
    assigned_users: list[dict[str, str]]
    response_timeout: timedelta


# --- reading the post ---------------------------------------------------------------------------------


def load_post(db, post_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    with db.transaction() as tx:
        post = tx.fetch_one("posts/post", post_id=post_id)
        approvals = tx.fetch("posts/approvals", post_id=post_id) if post else []
    return post, approvals


def why_not_pending(post: dict[str, Any] | None, approvals: list[dict[str, Any]], asked: AskedStep) -> str | None:
    """None while the asked step still awaits a decision; otherwise why not, in words for people."""
    from herald.posts.approval import progress

    if post is None:
        return f"信息“{asked.post_id}”不存在"
    awaiting = post["state"] == "awaiting_approval"
    if awaiting and not asked.matches(post["content_hash"]):
        return "内容已修改，原内容版本的审批请求作废，将按新内容重新发起"
    next_step = progress(post, approvals).next_step
    if awaiting and next_step == asked.step_no:
        return None
    state = STATE_ZH.get(post["state"], post["state"])
    decided = next((a for a in reversed(approvals)
                    if a["step_no"] == asked.step_no and asked.matches(a["content_hash"])), None)
    if decided is not None:  # say which door decided: that is what the person still being asked needs to know
        return (f"第{asked.step_no}步已由{decided['approver_name']}通过{DOOR_ZH.get(decided['via'], decided['via'])}"
                f"{DECISION_ZH.get(decided['decision'], decided['decision'])}；信息当前状态为“{state}”")
    if not awaiting:
        return f"信息当前状态为“{state}”：{post['state_reason']}"
    return f"第{asked.step_no}步不再待审批（当前待审批为第{next_step}步）"


def pending_steps(db, now: datetime) -> list[AskedStep]:
    """The next step of every post awaiting approval whose publish time is still ahead."""
    from herald.posts.approval import progress

    with db.transaction() as tx:
        posts = tx.fetch("posts/awaiting")
        approved = tx.fetch("posts/approved_steps_of_awaiting")
    by_post: dict[str, list[dict[str, Any]]] = {}
    for row in approved:
        by_post.setdefault(row["post_id"], []).append(row)
    steps = []
    for post in posts:
        if post["publish_at"] <= now:
            continue  # due: expire_due takes it, asking now would be too late
        step = progress(post, by_post.get(post["post_id"], [])).next_step
        if step is not None:
            steps.append(AskedStep(post["post_id"], post["content_hash"], step))
    return steps


# --- building the request -----------------------------------------------------------------------------


def response_timeout(hours: int, publish_at: datetime, now: datetime) -> timedelta:
    """The policy's time to answer, cut so the request ends no later than the publish time."""
    return min(timedelta(hours=hours), publish_at - now)


def assignees(holders: Iterable[Mapping[str, Any]], author_id: str,
              signed: Collection[str] = ()) -> list[dict[str, str]]:
    """Airflow users who may answer: holders of the step's role with a login, never the post's author, nor
    (when the policy keeps one step per person) anyone who signed an earlier step for this content.

    The HITL user id is the Airflow login (what SimpleAuthManager's ``get_id`` returns), which is
    also how ``people.login`` maps a responder back to a person.
    """
    return [{"id": h["login"], "name": f"{h['name']}（{h['login']}）"}
            for h in holders if h.get("login") and h["person_id"] != author_id and h["person_id"] not in signed]


def _excerpt(body: str) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", body)).strip()
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "……"


def _screening_lines(screening: Mapping[str, Any]) -> list[str]:
    lines = []
    for field_name, result in (screening.get("fields") or {}).items():
        for hit in result.get("hits", []):
            lines.append(f"- {FIELD_ZH.get(field_name, field_name)}：“{hit['snippet']}”"
                         f"（{hit['category']}，{hit['severity']}，{hit['action']}）")
    if screening.get("route"):
        lines.append(f"- {ROUTE_ZH.get(screening['route'], screening['route'])}")
    return lines or ["- 无命中"]


def build_request(post: Mapping[str, Any], approvals: list[Mapping[str, Any]], policy, holders: list[Mapping[str, Any]],
                  asked: AskedStep, now: datetime) -> ApprovalRequest:
    """Subject, body (Markdown, Chinese), assignees and timeout of the request for the asked step."""
    from herald.posts.chain import ChainReasons, step_purposes
    from herald.posts.model import PAID_REPOST_ZH, SENSITIVE_MARKS_ZH
    from herald.timeutil import format_shanghai

    chain = json.loads(post["approval_chain"])
    role = chain[asked.step_no - 1]
    role_label = policy.role_label(role)
    screening = json.loads(post["screening"])
    purpose = step_purposes(policy, chain, ChainReasons.from_stored(screening.get("chain_reasons"))).get(role)
    marks = [SENSITIVE_MARKS_ZH.get(m, m) for m in json.loads(post.get("sensitive_marks") or "[]")]
    if post.get("is_paid_repost"):
        marks.append(PAID_REPOST_ZH)
    timeout = response_timeout(policy.approval_response_timeout_hours, post["publish_at"], now)
    title = post["title"] or _excerpt(post["body"])[:30]
    subject = f"【待审批】{post['account_name']}：{title}（第{asked.step_no}/{len(chain)}步·{role_label}）"
    earlier = [a for a in approvals if a["decision"] == "approved" and a["content_hash"] == post["content_hash"]
               and a["step_no"] < asked.step_no]
    lines = [
        f"- **账号**：{post['account_name']}（{post['account_id']}，{post['platform']}）",
        f"- **标题**：{post['title'] or '（无标题）'}",
        f"- **审批步骤**：第 {asked.step_no} 步，共 {len(chain)} 步；本步角色：{role_label}（{policy.policy_id}号制度）",
        *([f"- **本步事由**：{purpose}"] if purpose else []),
        *([f"- **提交人标记**：{'、'.join(marks)}"] if marks else []),
        f"- **计划发布时间**：{format_shanghai(post['publish_at'])}",
        (f"- **请在此之前答复**：{format_shanghai(now + timeout)}（逾期本请求失效，可改用命令行或 HTTP 接口审批；"
         "到发布时间仍未审完的信息将过期，不会发布）"),
        f"- **内容哈希**：`{post['content_hash']}`（审批只对这一版本的内容有效，内容一经修改签字即作废）",
    ]
    if earlier:
        lines.append("- **已完成的步骤**：" + "；".join(
            f"第{a['step_no']}步 {a['approver_name']}（{DOOR_ZH.get(a['via'], a['via'])}）" for a in earlier))
    # Markdown: blank lines keep the sections apart (a single newline would join them into one paragraph).
    lines += ["", "**敏感词审查**：", "", *_screening_lines(screening), "",
              "**正文摘要**：", "", f"> {_excerpt(post['body'])}", "",
              f"选择“{APPROVE}”或“{REJECT}”；驳回时必须在“理由”中写明原因。"]
    signed = {a["approver_id"] for a in earlier} if policy.one_step_per_person else set()
    return ApprovalRequest(subject=subject, body="\n".join(lines),
                           assigned_users=assignees(holders, post["author_id"], signed), response_timeout=timeout)


def prepare_request(db, asked: AskedStep, now: datetime, *,
                    policy_for: Callable[[str], Any] | None = None) -> ApprovalRequest:
    """Read the post and build the request for the asked step.

    Raises ``StepNotPending`` if the step is no longer the one to ask (decided, edited, expired, or
    its publish time reached) and ``NobodyToAsk`` if no one could answer it.
    """
    from herald.posts.approval import role_holders
    from herald.posts.policies import default_policy_for
    from herald.timeutil import local_day

    post, approvals = load_post(db, asked.post_id)
    why = why_not_pending(post, approvals, asked)
    if why is None and post["publish_at"] <= now:
        why = "已到计划发布时间，审批已来不及，信息将过期"
    if why is not None:
        raise StepNotPending(why)
    policy = (policy_for or default_policy_for)(post["policy_id"])
    role = json.loads(post["approval_chain"])[asked.step_no - 1]
    with db.transaction() as tx:
        holders = role_holders(tx, post["account_id"], role, local_day(now))
    request = build_request(post, approvals, policy, holders, asked, now)
    if not request.assigned_users:
        # Nobody could answer: fail visibly rather than open a request anyone could answer.
        raise NobodyToAsk(
            f"账号 {post['account_id']} 当前没有可以审批第{asked.step_no}步（{policy.role_label(role)}）的人员"
            "（无人担任该角色，或担任者没有 Airflow 登录名）")
    return request


# --- recording the answer -----------------------------------------------------------------------------


def responder_login(responded_by_user: Mapping[str, Any] | None) -> str | None:
    """The login of the Airflow user who answered (a HITL ``responded_by_user``): its name, else its id.

    Herald's people sign in as users named by ``people.login``. Under the SimpleAuthManager id and name
    are both that login; under the FAB auth manager the id is the numeric ``ab_user.id`` and the name the
    username, so the name is read first.
    """
    user = responded_by_user or {}
    return user.get("name") or user.get("id")


def record_answer(db, asked: AskedStep, *, login: str | None, option: str, reason: str | None, now: datetime,
                  log: logging.Logger | logging.LoggerAdapter = _log) -> dict[str, Any]:
    """Write an answer (the chosen ``option``, by the Airflow user ``login``) through ``decide``.

    An answer to a step decided elsewhere, before or while it is written, is logged and not written
    (``recorded`` is False, ``why`` says what happened). Raises ``AnswerRefused`` if the responder is
    no registered person or ``decide`` refuses the decision for another reason.
    """
    from herald.errors import ValidationError
    from herald.posts.approval import decide

    decision = DECISION_OF_OPTION[option]
    reason = (reason or "").strip() or None
    person = db.fetch_one("posts/person_by_login", login=login)
    if person is None:
        raise AnswerRefused(f"Airflow 用户“{login}”未对应任何在册人员，其答复不能作为审批记录")

    outcome = {"post_id": asked.post_id, "step_no": asked.step_no, "responder": login, "decision": decision}
    why = why_not_pending(*load_post(db, asked.post_id), asked)
    if why is not None:
        log.info("Answer of %s to step %s of post %s not recorded: decided elsewhere (%s)",
                 login, asked.step_no, asked.post_id, why)
        return {**outcome, "recorded": False, "why": why}
    try:
        result = decide(db, post_id=asked.post_id, approver_id=person["person_id"], decision=decision,
                        content_hash=asked.content_hash, via="hitl", now=now, reason=reason)
    except ValidationError as refused:
        why = why_not_pending(*load_post(db, asked.post_id), asked)
        if why is not None:  # another door decided between our read and our write
            log.info("Answer to step %s of post %s not recorded: decided elsewhere meanwhile (%s)",
                     asked.step_no, asked.post_id, why)
            return {**outcome, "recorded": False, "why": why}
        raise AnswerRefused("审批未被记录：" + "；".join(
            f"{v.field} [{v.rule_id}] {v.message}" for v in refused.violations)) from None
    log.info("Recorded %s of step %s of post %s by %s via hitl; post is now %s",
             decision, asked.step_no, asked.post_id, person["person_id"], result["state"])
    return {**outcome, "recorded": True, "state": result["state"]}


# --- closing requests answered elsewhere --------------------------------------------------------------


def close_requests_decided_elsewhere(db, api, log=None) -> list[str]:
    """Skip open HITL requests whose step is no longer pending, so the UI stops asking; return their run ids.

    ``api`` is Airflow's REST API (``herald_airflow.airflow_api.AirflowApi``). The task instance is
    marked skipped with a note saying what happened; its request then leaves Airflow's list of
    pending actions (which counts only tasks still parked for input). Answering it is impossible on
    purpose: an answer would claim a decision the person never made.
    """
    closed = []
    for request in api.open_hitl_requests(APPROVAL_DAG_ID):
        ti = request["task_instance"]
        asked = AskedStep.from_run_id(ti["dag_run_id"])
        if asked is None:
            continue  # a run started by hand with another id: not the router's to close
        why = why_not_pending(*load_post(db, asked.post_id), asked)
        if why is None:
            continue
        api.skip_task_instance(ti["dag_id"], ti["dag_run_id"], ti["task_id"], map_index=ti.get("map_index", -1),
                               note=f"Herald 已关闭此审批请求：{why}")
        if log is not None:
            log.info("Closed the open request of %s: %s", ti["dag_run_id"], why)
        closed.append(ti["dag_run_id"])
    return closed
