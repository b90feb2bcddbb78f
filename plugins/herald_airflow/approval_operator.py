"""Approvers are asked where they work: one approval step as an Airflow human-in-the-loop task (PUB-1, PUB-2).

One run of ``herald_post_approval`` asks one step of one post's chain, for one content version.
Its run id names all three (:class:`AskedStep`), so routing the same step twice is refused by
Airflow as a duplicate run, and the sync pass can tell from an open request which step it asks.

The step may be decided through another door (the CLI, the HTTP API) or made moot (an edit, the
publish time passing) at any moment, so the post is read again both when asking and when the
answer comes: a step no longer pending is skipped when asking, and an answer to it is logged and
not written. Whatever door decides, the decision goes through ``herald.posts.approval.decide``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param
from airflow.sdk.definitions.param import ParamsDict
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

APPROVAL_DAG_ID = "herald_post_approval"
APPROVAL_TASK_ID = "ask_approver"
APPROVE, REJECT = "批准", "驳回"
DECISION_OF_OPTION = {APPROVE: "approved", REJECT: "rejected"}
EXCERPT_CHARS = 200
RUN_ID_HASH_CHARS = 12

STATE_ZH = {"awaiting_approval": "待审批", "approved": "已批准", "rejected": "已驳回", "expired": "已过期",
            "published": "已发布", "failed": "发布失败", "cancelled": "已撤销"}
DOOR_ZH = {"cli": "命令行", "api": "HTTP 接口", "hitl": "Airflow 审批任务"}
DECISION_ZH = {"approved": "批准", "rejected": "驳回"}


@dataclass(frozen=True)
class AskedStep:
    """Which step of which post a request asks, for which content version.

    ``content_hash`` is the full SHA-256 when it comes from the run's conf, and its first
    ``RUN_ID_HASH_CHARS`` characters when parsed back from a run id (``matches`` compares either).
    """

    post_id: str
    content_hash: str
    step_no: int

    _RUN_ID = re.compile(r"^approval__(?P<post_id>.+)__(?P<hash>[0-9a-f]{%d})__(?P<step>\d+)$" % RUN_ID_HASH_CHARS)

    @property
    def run_id(self) -> str:
        return f"approval__{self.post_id}__{self.content_hash[:RUN_ID_HASH_CHARS]}__{self.step_no}"

    @classmethod
    def from_run_id(cls, run_id: str) -> "AskedStep | None":
        match = cls._RUN_ID.match(run_id)
        if match is None:
            return None
        return cls(match["post_id"], match["hash"], int(match["step"]))

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "AskedStep":
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


def assignees(holders: Iterable[Mapping[str, Any]], author_id: str) -> list[dict[str, str]]:
    """Airflow users who may answer: holders of the step's role with a login, never the post's author.

    The HITL user id is the Airflow login (what SimpleAuthManager's ``get_id`` returns), which is
    also how ``people.login`` maps a responder back to a person.
    """
    return [{"id": h["login"], "name": f"{h['name']}（{h['login']}）"}
            for h in holders if h.get("login") and h["person_id"] != author_id]


def _excerpt(body: str) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", body)).strip()
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "……"


FIELD_ZH = {"title": "标题", "body": "正文", "source": "来源"}
ROUTE_ZH = {"confidentiality_review": "疑似涉密，审批链已加入保密审查环节"}


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
    from herald.timeutil import format_shanghai

    chain = json.loads(post["approval_chain"])
    role = chain[asked.step_no - 1]
    role_label = policy.roles.get(role, role)
    timeout = response_timeout(policy.approval_response_timeout_hours, post["publish_at"], now)
    title = post["title"] or _excerpt(post["body"])[:30]
    subject = f"【待审批】{post['account_name']}：{title}（第{asked.step_no}/{len(chain)}步·{role_label}）"
    earlier = [a for a in approvals if a["decision"] == "approved" and a["content_hash"] == post["content_hash"]
               and a["step_no"] < asked.step_no]
    lines = [
        f"- **账号**：{post['account_name']}（{post['account_id']}，{post['platform']}）",
        f"- **标题**：{post['title'] or '（无标题）'}",
        f"- **审批步骤**：第 {asked.step_no} 步，共 {len(chain)} 步；本步角色：{role_label}（{policy.policy_id}号制度）",
        f"- **计划发布时间**：{format_shanghai(post['publish_at'])}",
        f"- **请在此之前答复**：{format_shanghai(now + timeout)}（逾期本请求失效，可改用命令行或 HTTP 接口审批；"
        "到发布时间仍未审完的信息将过期，不会发布）",
        f"- **内容哈希**：`{post['content_hash']}`（审批只对这一版本的内容有效，内容一经修改签字即作废）",
    ]
    if earlier:
        lines.append("- **已完成的步骤**：" + "；".join(
            f"第{a['step_no']}步 {a['approver_name']}（{DOOR_ZH.get(a['via'], a['via'])}）" for a in earlier))
    # Markdown: blank lines keep the sections apart (a single newline would join them into one paragraph).
    lines += ["", "**敏感词审查**：", "", *_screening_lines(json.loads(post["screening"])), "",
              "**正文摘要**：", "", f"> {_excerpt(post['body'])}", "",
              f"选择“{APPROVE}”或“{REJECT}”；驳回时必须在“理由”中写明原因。"]
    return ApprovalRequest(subject=subject, body="\n".join(lines),
                           assigned_users=assignees(holders, post["author_id"]), response_timeout=timeout)


# --- the operator -------------------------------------------------------------------------------------


class HeraldApprovalStepOperator(HITLOperator):
    """Ask the holders of a step's role to approve or reject the post named by the DAG run's params.

    Params (the run's conf, set by the router): ``post_id``, ``content_hash`` (the version being
    asked about: the decision binds to it) and ``step_no``. Reads Herald's database through the
    ``herald_db`` connection.
    """

    def __init__(self, *, herald_conn_id: str = "herald_db", **kwargs) -> None:
        # The DAG passes its own params in too; HITLOperator keeps only the task's for the answer form.
        given = kwargs.pop("params", None) or {}
        params = ParamsDict({key: given.get_param(key) if isinstance(given, ParamsDict) else given[key]
                             for key in given})
        params["reason"] = Param(None, type=["null", "string"], title="理由", description="驳回时必填；批准时可填写意见",
                                 source="task")
        super().__init__(
            subject="Herald 审批请求",  # replaced at execute() by the post's own subject
            options=[APPROVE, REJECT],
            multiple=False,
            params=params,
            **kwargs,
        )
        self.herald_conn_id = herald_conn_id

    def _database(self):
        from herald_airflow.hooks import HeraldDatabaseHook

        return HeraldDatabaseHook(self.herald_conn_id).get_database()

    @staticmethod
    def _now() -> datetime:
        return datetime.now(timezone.utc)

    def prepare(self, context: Mapping[str, Any]) -> ApprovalRequest:
        """Read the post and fill in the request; skip if the step is no longer the one to ask."""
        from herald.policy import load_policy
        from herald.posts.approval import role_holders
        from herald.timeutil import local_day

        asked = AskedStep.from_params(context["params"])
        now = self._now()
        db = self._database()
        post, approvals = load_post(db, asked.post_id)
        why = why_not_pending(post, approvals, asked)
        if why is None and post["publish_at"] <= now:
            why = "已到计划发布时间，审批已来不及，信息将过期"
        if why is not None:
            self.log.info("Not asking step %s of post %s: no longer pending (%s)", asked.step_no, asked.post_id, why)
            raise AirflowSkipException(why)
        policy = load_policy(post["policy_id"])
        role = json.loads(post["approval_chain"])[asked.step_no - 1]
        with db.transaction() as tx:
            holders = role_holders(tx, post["account_id"], role, local_day(now))
        request = build_request(post, approvals, policy, holders, asked, now)
        if not request.assigned_users:
            # Nobody could answer: fail visibly rather than open a request anyone could answer.
            raise AirflowFailException(
                f"账号 {post['account_id']} 当前没有可以审批第{asked.step_no}步（{policy.roles.get(role, role)}）的人员"
                "（无人担任该角色，或担任者没有 Airflow 登录名）")
        self.subject, self.body = request.subject, request.body
        self.assigned_users, self.response_timeout = request.assigned_users, request.response_timeout
        self.log.info("Asking step %s of post %s (hash %s) of %s, answer within %s",
                      asked.step_no, asked.post_id, asked.content_hash[:12],
                      [u["id"] for u in request.assigned_users], request.response_timeout)
        return request

    def execute(self, context):
        self.prepare(context)
        return super().execute(context)

    def execute_complete(self, context, event: dict[str, Any]) -> dict[str, Any]:
        if "error" in event:
            # Timed out without an answer (there are no defaults): the request lapses; the step stays
            # pending for the CLI and the API, and the post expires at its publish time if nobody decides.
            raise AirflowFailException(f"审批请求已超时，无人答复：{event.get('error')}")
        answer = super().execute_complete(context, event)
        return self.record_answer(context, answer)

    def record_answer(self, context: Mapping[str, Any], answer: Mapping[str, Any]) -> dict[str, Any]:
        """Write the answer through ``decide`` unless another door has decided the step already."""
        from herald.errors import ValidationError
        from herald.posts.approval import decide

        asked = AskedStep.from_params(context["params"])
        responder = answer.get("responded_by_user") or {}
        decision = DECISION_OF_OPTION[answer["chosen_options"][0]]
        reason = ((answer.get("params_input") or {}).get("reason") or "").strip() or None
        db = self._database()
        person = db.fetch_one("posts/person_by_login", login=responder.get("id"))
        if person is None:
            raise AirflowFailException(f"Airflow 用户“{responder.get('id')}”未对应任何在册人员，其答复不能作为审批记录")

        outcome = {"post_id": asked.post_id, "step_no": asked.step_no, "responder": responder.get("id"),
                   "decision": decision}
        why = why_not_pending(*load_post(db, asked.post_id), asked)
        if why is not None:
            self.log.info("Answer of %s to step %s of post %s not recorded: decided elsewhere (%s)",
                          responder.get("id"), asked.step_no, asked.post_id, why)
            return {**outcome, "recorded": False, "why": why}
        try:
            result = decide(db, post_id=asked.post_id, approver_id=person["person_id"], decision=decision,
                            content_hash=asked.content_hash, via="hitl", now=self._now(), reason=reason)
        except ValidationError as refused:
            why = why_not_pending(*load_post(db, asked.post_id), asked)
            if why is not None:  # another door decided between our read and our write
                self.log.info("Answer to step %s of post %s not recorded: decided elsewhere meanwhile (%s)",
                              asked.step_no, asked.post_id, why)
                return {**outcome, "recorded": False, "why": why}
            raise AirflowFailException("审批未被记录：" + "；".join(
                f"{v.field} [{v.rule_id}] {v.message}" for v in refused.violations)) from None
        self.log.info("Recorded %s of step %s of post %s by %s via hitl; post is now %s",
                      decision, asked.step_no, asked.post_id, person["person_id"], result["state"])
        return {**outcome, "recorded": True, "state": result["state"]}


def close_requests_decided_elsewhere(db, api, log=None) -> list[str]:
    """Skip open HITL requests whose step is no longer pending, so the UI stops asking; return their run ids.

    The task instance is marked skipped through the REST API with a note saying what happened;
    its request then leaves Airflow's list of pending actions (which counts only tasks still
    parked for input). Answering it is impossible on purpose: an answer would claim a decision
    the person never made.
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
