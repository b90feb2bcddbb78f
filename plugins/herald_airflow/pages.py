"""Pages for schedulers and approvers: Herald's HTML, served by the HTTP door behind Airflow's login (``/herald/pages``).

Four pages, rendered on the server with Jinja2 (autoescaped: whatever people wrote is shown, never run) and one
local stylesheet; no script at all, and the Content-Security-Policy forbids any:

- ``calendar``: a week or a month of posts across accounts, by publish time (Shanghai days), each with its state;
- ``posts/{post_id}``: a post's approval chain step by step (who signed, when, through which door, for which
  content hash), its screening hits, its dispatch attempts and the link of the published item;
- ``queue``: the queue form. It posts the same typed ``PostIn`` as ``POST /herald/posts`` (built from the form's
  fields and checked by ``parse_request``) and queues it with the same domain ``queue_post``; every refusal is
  shown at once, beside its field, in Chinese, with its rule;
- ``findings``: the open findings of the reader's units (``herald.findings.answerable_units``: the host units and
  competent departments the reader belongs to or heads), each with acknowledge and resolve buttons that call
  ``herald.findings.acknowledge`` / ``resolve`` (``via='page'``, the reason kept in the finding's history).

Who is reading is Airflow's user (``GetUserDep``: the ``_token`` cookie the UI's login sets, or a bearer token),
mapped to a Herald person as on every route of the door. Forms carry a signed anti-forgery token bound to that
login (``itsdangerous``, keyed with the api-server's JWT secret, valid for ``CSRF_MAX_AGE``): a form posted from
another site, without the token or with someone else's, is refused (403) before anything is read or written.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from herald.boundary import FORMAT_RULE, MAX_REQUEST_BYTES, PostIn, parse_request
from herald.boundary.models import FINDING_ID_PATTERN, FindingActionIn
from herald.boundary.pages import CSRF_FIELD, KEY_FIELD, MAX_FORM_FIELDS, CalendarQuery, FormMeta
from herald.errors import ValidationError, Violation
from herald_airflow import api_common as door
from herald_airflow.api_common import PostId, database, person_for

PREFIX = "/pages"
HERE = Path(__file__).resolve().parent
TEMPLATES, STATIC = HERE / "templates", HERE / "static"
CSRF_MAX_AGE = 8 * 3600  # seconds: a working day's form
CALENDAR_LIMIT = 1000  # posts shown in one week or month; the page says when there are more
FINDINGS_LIMIT = 500
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'self'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

STATE_ZH = {"awaiting_approval": "待审批", "approved": "已批准", "rejected": "已驳回", "expired": "已过期",
            "dispatching": "发布中", "unconfirmed": "待确认", "published": "已发布", "failed": "发布失败",
            "cancelled": "已撤销"}
OUTCOME_ZH = {"ok": "成功", "retry": "稍后重试", "refresh_token": "刷新授权", "wait_quota": "等待额度",
              "failed": "失败", "unconfirmed": "结果未确认"}
STEP_ZH = {"approved": "已签", "pending": "待签", "waiting": "未到"}
KIND_ZH = {"article": "图文", "text": "文字", "mass_send": "微信群发", "page": "网站页面"}
URGENCY_ZH = {"regular": "常规（至少提前一周）", "urgent": "重要紧急（至少提前一个工作日）"}
WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")
# The queue form's fields, in the order of the form, with their labels (the model's fields PostIn takes from a form).
QUEUE_FIELDS = {"account_id": "发布账号", "title": "标题", "body": "正文", "category": "信息类别", "source": "信息来源",
                "publish_at": "发布时间（北京时间）", "urgency": "紧急程度", "kind": "类型",
                "sensitive_marks": "涉及重大事件、突发事件、社会热点或敏感问题（须经主管部门授权）",
                "paid_repost": "转载付费信息（须按平台开通审批流程审批）"}
# The queue form's checkboxes (one form field each, value "true"): a mark of CON-5 each, and the paid repost of CON-6.
MARK_FIELD_PREFIX = "mark_"
_LOCAL_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")

router = APIRouter(prefix=PREFIX, include_in_schema=False)
FindingId = Annotated[str, PathParam(pattern=FINDING_ID_PATTERN, description="问题编号（F-开头）")]
FindingAction = Annotated[Literal["acknowledge", "resolve"], PathParam(description="acknowledge（确认）或 resolve（解决）")]


class Forbidden(Exception):
    """A form without a valid anti-forgery token of the signed-in user (HTTP 403)."""


def is_page_form(request: Request) -> bool:
    """A form posted to a page: parsed here (size, encoding, fields), not a JSON document for the door's check."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == FORM_CONTENT_TYPE and f"{PREFIX}/" in request.url.path


# --- rendering ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _templates():
    import jinja2

    from herald.posts.approval_requests import DOOR_ZH, ROUTE_ZH
    from herald.timeutil import shanghai

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = lambda value: shanghai(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""
    env.filters["hm"] = lambda value: shanghai(value).strftime("%H:%M") if value else ""
    env.globals.update(DOOR_ZH=DOOR_ZH, ROUTE_ZH=ROUTE_ZH, STATE_ZH=STATE_ZH, OUTCOME_ZH=OUTCOME_ZH, STEP_ZH=STEP_ZH,
                       KIND_ZH=KIND_ZH, URGENCY_ZH=URGENCY_ZH, WEEKDAYS_ZH=WEEKDAYS_ZH)
    return env


def _link(request: Request, name: str, query: dict[str, Any] | None = None, **params: Any) -> str:
    """A path to one of the pages, under wherever the door is mounted (``/herald`` on the api-server)."""
    path = request.scope.get("root_path", "").rstrip("/") + str(request.app.url_path_for(name, **params))
    return f"{path}?{urlencode(query)}" if query else path


def _page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    body = _templates().get_template(template).render(link=partial(_link, request), **context)
    return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)


def _message(request: Request, status: int, title: str, violations: list[Violation]) -> HTMLResponse:
    return _page(request, "message.html", status_code=status, title=title, violations=violations, user_name=None)


# --- anti-forgery ---------------------------------------------------------------------------------


def _serializer():
    from airflow.configuration import conf
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(conf.get("api_auth", "jwt_secret"), salt="herald.pages.csrf")


def csrf_token(user) -> str:
    """A token for this user's forms: their login, signed and dated."""
    return _serializer().dumps(user.get_name())


def check_csrf(token: str, user) -> None:
    from itsdangerous import BadSignature

    try:
        login = _serializer().loads(token, max_age=CSRF_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        raise Forbidden from None
    if login != user.get_name():
        raise Forbidden


def _forbidden(request: Request) -> HTMLResponse:
    return _message(request, 403, "表单无法提交", [Violation(
        CSRF_FIELD, "PUB-3", "表单缺少有效的防伪令牌（可能来自其他网站，或页面已打开超过 8 小时）：请从 Herald 页面重新打开表单后再提交")])


async def _form(request: Request) -> dict[str, str]:
    """The fields of a posted form: one value each, UTF-8, within the door's size limit; refusal (格式) otherwise."""
    data = await request.body()
    if len(data) > MAX_REQUEST_BYTES:
        raise ValidationError([Violation("请求", FORMAT_RULE, f"表单大小超过上限 {MAX_REQUEST_BYTES:,} 字节")])
    try:
        pairs = parse_qsl(data.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict",
                          max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise ValidationError([Violation("请求", FORMAT_RULE, "表单不是 UTF-8 编码的网页表单")]) from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise ValidationError([Violation(name, FORMAT_RULE, f"表单字段“{name}”重复出现")])
        fields[name] = value
    return fields


async def _checked_form(request: Request, user) -> tuple[FormMeta, dict[str, str]]:
    """The form's own fields (token checked first) and the rest; ``Forbidden`` before anything else is looked at."""
    fields = await _form(request)
    try:
        meta = parse_request(FormMeta, {k: fields.pop(k) for k in (CSRF_FIELD, KEY_FIELD) if k in fields})
    except ValidationError:
        raise Forbidden from None
    check_csrf(meta.csrf_token, user)
    return meta, fields


class _Refused(Exception):
    """A form post answered before its action: the page to send back is ``response``."""

    def __init__(self, response: Response):
        self.response = response


async def _signed_in_form(request: Request, user, refused_title: str) -> tuple[dict[str, Any], FormMeta, dict[str, str]]:
    """The person behind the login, the form's own fields (token checked first) and the rest, or ``_Refused``."""
    try:
        person = person_for(user)
    except ValidationError as refused:
        raise _Refused(_message(request, 403, refused_title, refused.violations)) from None
    try:
        meta, fields = await _checked_form(request, user)
    except Forbidden:
        raise _Refused(_forbidden(request)) from None
    except ValidationError as refused:
        raise _Refused(_message(request, 400, "表单无法读取", refused.violations)) from None
    return person, meta, fields


# --- pages ----------------------------------------------------------------------------------------


@router.get("/static/herald.css", name="herald_pages_css")
def stylesheet(user: GetUserDep) -> Response:
    return FileResponse(STATIC / "herald.css", media_type="text/css", headers={"Cache-Control": "private, max-age=3600"})


def calendar_range(view: str, day: date) -> tuple[date, date, list[list[date]]]:
    """[first, end) of the week (Monday to Sunday) or of the month's whole weeks, and those weeks."""
    if view == "week":
        first = day - timedelta(days=day.weekday())
        end = first + timedelta(days=7)
    else:
        month_start = day.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        first = month_start - timedelta(days=month_start.weekday())
        last = next_month - timedelta(days=1)
        end = last + timedelta(days=7 - last.weekday())
    days = [first + timedelta(days=n) for n in range((end - first).days)]
    return first, end, [days[n:n + 7] for n in range(0, len(days), 7)]


@router.get("/calendar", name="herald_page_calendar")
def calendar_page(request: Request, user: GetUserDep) -> HTMLResponse:
    from herald.timeutil import local_day, shanghai_midnight_utc

    try:
        person = person_for(user)
        query = parse_request(CalendarQuery, dict(request.query_params))
    except ValidationError as refused:
        return _message(request, 422 if refused.violations[0].field != "user" else 403, "无法显示发布日历",
                        refused.violations)
    today = local_day(door.now())
    day = query.day or today
    first, end, weeks = calendar_range(query.view, day)
    rows = database().fetch("pages/calendar_posts", from_at=shanghai_midnight_utc(first),
                            to_at=shanghai_midnight_utc(end), row_limit=CALENDAR_LIMIT + 1)
    by_day: dict[date, list[dict[str, Any]]] = {}
    for row in rows[:CALENDAR_LIMIT]:
        by_day.setdefault(local_day(row["publish_at"]), []).append(row)
    if query.view == "week":
        previous, following = day - timedelta(days=7), day + timedelta(days=7)
        heading = f"{first.isoformat()} 至 {(end - timedelta(days=1)).isoformat()}"
    else:
        previous = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        heading = f"{day.year} 年 {day.month} 月"
    counts: dict[str, int] = {}
    for row in rows[:CALENDAR_LIMIT]:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    return _page(request, "calendar.html", user_name=person["name"], view=query.view, day=day, today=today,
                 weeks=weeks, by_day=by_day, month=day.month, heading=heading, previous=previous, following=following,
                 counts=counts, more=len(rows) > CALENDAR_LIMIT, limit=CALENDAR_LIMIT)


@router.get("/posts/{post_id}", name="herald_page_post")
def post_page(request: Request, post_id: PostId, user: GetUserDep) -> HTMLResponse:
    from herald.posts.lifecycle import post_status
    from herald.posts.model import SENSITIVE_MARKS_ZH
    from herald.posts.policies import default_policy_for

    try:
        person = person_for(user)
    except ValidationError as refused:
        return _message(request, 403, "无法显示信息", refused.violations)
    db = database()
    try:
        status = post_status(db, post_id)
    except ValidationError as refused:
        return _message(request, 404, "找不到这条信息", refused.violations)
    post = db.fetch_one("posts/post", post_id=post_id)
    policy = default_policy_for(post["policy_id"])
    # Every role a step or decision names, creation steps of a paid repost (CON-6) included, by its Chinese label.
    roles = {role: policy.role_label(role)
             for role in {*policy.roles, *(s["role"] for s in status["chain"]), *(d["role"] for d in status["decisions"])}}
    hits = [{"field": field, **hit}
            for field, result in status["screening"].get("fields", {}).items()
            for hit in (*result.get("hits", ()), *({**h, "suppressed": True} for h in result.get("suppressed", ())))]
    return _page(request, "post.html", user_name=person["name"], status=status, post=post, roles=roles,
                 marks=SENSITIVE_MARKS_ZH,
                 csrf=csrf_token(user), csrf_field=CSRF_FIELD, key_field=KEY_FIELD, new_key=str(uuid.uuid4()),
                 field_labels=QUEUE_FIELDS, hits=hits, route=status["screening"].get("route"),
                 attempts=db.fetch("dispatch/attempts", post_id=post_id),
                 item=db.fetch_one("dispatch/published_item_of_post", post_id=post_id))


def _queue_form(request: Request, user, person: dict[str, Any], *, values: dict[str, str], key: str,
                violations: list[Violation], status: int) -> HTMLResponse:
    from herald.posts.model import SENSITIVE_MARKS_ZH
    from herald.posts.policies import default_policy_for

    categories: dict[str, str] = {}
    for policy_id in ("000", "001", "002", "003"):
        for code, label in default_policy_for(policy_id).content.categories.items():
            categories.setdefault(code, label)
    beside: dict[str, list[Violation]] = {}
    general: list[Violation] = []
    for violation in violations:
        field = re.split(r"[.\[]", violation.field, maxsplit=1)[0]
        (beside.setdefault(field, []) if field in QUEUE_FIELDS else general).append(violation)
    return _page(request, "queue.html", status_code=status, user_name=person["name"], values=values, fields=QUEUE_FIELDS,
                 marks=SENSITIVE_MARKS_ZH, mark_prefix=MARK_FIELD_PREFIX,
                 accounts=database().fetch("pages/accounts"), categories=categories, violations=violations,
                 beside=beside, general=general, csrf=csrf_token(user), key=key, csrf_field=CSRF_FIELD,
                 key_field=KEY_FIELD)


@router.get("/queue", name="herald_page_queue")
def queue_page(request: Request, user: GetUserDep) -> HTMLResponse:
    try:
        person = person_for(user)
    except ValidationError as refused:
        return _message(request, 403, "无法排期", refused.violations)
    values = {**dict.fromkeys(QUEUE_FIELDS, ""), "urgency": "regular", "kind": "article"}
    return _queue_form(request, user, person, values=values, key=str(uuid.uuid4()), violations=[], status=200)


def post_in_document(fields: dict[str, str]) -> dict[str, Any]:
    """The JSON document of ``PostIn`` a queue form stands for: empty fields left out, the publish time given its
    zone (the form's time is Beijing time), the body's line ends as typed (browsers send CRLF); unknown fields kept,
    so the model refuses them."""
    document: dict[str, Any] = {}
    for name, value in fields.items():
        if name.startswith(MARK_FIELD_PREFIX) or name == "paid_repost":
            # Checkboxes: a checked one is sent as "true"; anything else is kept as sent, so the model refuses it.
            value = True if value == "true" else value
            if name == "paid_repost":
                document[name] = value
            else:
                document.setdefault("sensitive_marks", []).append(name[len(MARK_FIELD_PREFIX):] if value is True
                                                                  else f"{name}={value}")
            continue
        if name in QUEUE_FIELDS and not value.strip():
            continue
        if name == "publish_at" and _LOCAL_MINUTE.match(value.strip()):
            value = value.strip() + (":00" if value.strip().count(":") == 1 else "") + "+08:00"
        if name == "body":
            value = value.replace("\r\n", "\n")
        document[name] = value
    return document


@router.post("/queue", name="herald_page_queue_submit")
async def queue_submit(request: Request, user: GetUserDep) -> Response:
    from herald.idempotency import once
    from herald.posts.queue import queue_post

    try:
        person, meta, fields = await _signed_in_form(request, user, "无法排期")
    except _Refused as refused:
        return refused.response
    key = meta.idempotency_key or str(uuid.uuid4())
    values = {name: fields.get(name, "") for name in QUEUE_FIELDS}
    values["sensitive_marks"] = ",".join(name[len(MARK_FIELD_PREFIX):] for name in fields
                                         if name.startswith(MARK_FIELD_PREFIX))
    try:
        body = parse_request(PostIn, post_in_document(fields))
        domain_request, now = body.to_domain(author_id=person["person_id"]), door.now()
        answer = once(database(), key=meta.idempotency_key, actor=person["person_id"], operation="POST /pages/queue",
                      request=body, now=now, status=201, field=KEY_FIELD,
                      run=lambda db: {"post_id": queue_post(db, domain_request, now=now)})
    except ValidationError as refused:
        return _queue_form(request, user, person, values=values, key=key, violations=refused.violations, status=422)
    return RedirectResponse(_link(request, "herald_page_post", post_id=answer.body["post_id"]),
                            status_code=303)


def _findings_page(request: Request, user, person: dict[str, Any], *, status: int = 200,
                   refused: tuple[str, list[Violation]] | None = None) -> HTMLResponse:
    from herald.findings import OPEN_STATES, answerable_units, find_findings
    from herald.timeutil import local_day

    with database().transaction() as tx:
        units = answerable_units(tx, person["person_id"], day=local_day(door.now()))
        rows = find_findings(tx, states=OPEN_STATES, unit_ids=units, limit=FINDINGS_LIMIT + 1) if units else []
    return _page(request, "findings.html", status_code=status, user_name=person["name"], findings=rows[:FINDINGS_LIMIT],
                 more=len(rows) > FINDINGS_LIMIT, limit=FINDINGS_LIMIT, refused=refused, csrf=csrf_token(user),
                 csrf_field=CSRF_FIELD, key_field=KEY_FIELD, new_key=lambda: str(uuid.uuid4()))


@router.post("/posts/{post_id}/decision", name="herald_page_post_decision")
async def post_decision(request: Request, post_id: PostId, user: GetUserDep) -> Response:
    """Approve or reject the post's next step from its page, as the signed-in person (``herald.posts.approval.decide``,
    the same call as the HTTP door's; recorded via ``api``, the door the page belongs to)."""
    from herald.boundary import DecisionIn
    from herald.idempotency import once
    from herald.posts.approval import decide

    try:
        person, meta, fields = await _signed_in_form(request, user, "无法审批")
    except _Refused as refused:
        return refused.response
    now = door.now()
    try:
        document = {"decision": fields.get("decision", ""), "content_hash": fields.get("content_hash", "")}
        if fields.get("reason", "").strip():
            document["reason"] = fields["reason"]
        body = parse_request(DecisionIn, document)
        once(database(), key=meta.idempotency_key, actor=person["person_id"], request=body, now=now, status=200,
             operation=f"POST /pages/posts/{post_id}/decision", field=KEY_FIELD,
             run=lambda db: decide(db, post_id=post_id, approver_id=person["person_id"], decision=body.decision,
                                   content_hash=body.content_hash, reason=body.reason, via="api", now=now))
    except ValidationError as refused:
        return _message(request, 422, "审批未被接受", refused.violations)
    return RedirectResponse(_link(request, "herald_page_post", post_id=post_id), status_code=303)


@router.get("/findings", name="herald_page_findings")
def findings_page(request: Request, user: GetUserDep) -> HTMLResponse:
    try:
        person = person_for(user)
    except ValidationError as refused:
        return _message(request, 403, "无法显示待办发现", refused.violations)
    return _findings_page(request, user, person)


@router.post("/findings/{finding_id}/{action}", name="herald_page_finding_action")
async def finding_action(request: Request, finding_id: FindingId, action: FindingAction, user: GetUserDep) -> Response:
    """Acknowledge or resolve one finding from the findings page (``herald.findings``, ``via='page'``)."""
    from herald import findings
    from herald.idempotency import once

    try:
        person, meta, fields = await _signed_in_form(request, user, "无法处理问题")
    except _Refused as refused:
        return refused.response
    move = findings.acknowledge if action == "acknowledge" else findings.resolve
    now = door.now()

    def run(db) -> dict[str, Any]:
        with db.transaction() as tx:
            moved = move(tx, finding_id, person_id=person["person_id"], reason=body.reason, via="page", now=now)
        return {"finding_id": moved["finding_id"], "state": moved["state"]}

    try:
        body = parse_request(FindingActionIn, fields)
        once(database(), key=meta.idempotency_key, actor=person["person_id"], request=body, now=now, status=201,
             operation=f"POST /pages/findings/{finding_id}/{action}", field=KEY_FIELD, run=run)
    except ValidationError as refused:
        status = (404 if isinstance(refused, findings.FindingNotFound)
                  else 409 if isinstance(refused, findings.FindingStateConflict) else 422)
        return _findings_page(request, user, person, status=status, refused=(finding_id, refused.violations))
    return RedirectResponse(_link(request, "herald_page_findings"), status_code=303)
