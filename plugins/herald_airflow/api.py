"""The HTTP door for schedulers and approvers: a FastAPI app mounted on Airflow's api-server at ``/herald``.

Every route requires Airflow's authentication (``GetUserDep``); the Airflow login is mapped to a
Herald person (``people.login``), who is the author of what they queue and the approver of what
they decide, so nobody can queue or sign in someone else's name.

Every body, path and query parameter is one of the typed models of ``herald.boundary`` (so the OpenAPI schema
shows each field). Refusals name the field, the rule (or 格式) and what is wrong, in Chinese: 422 for a request
against the rules or the types, 400 for a body that is not a JSON object of a sane size and depth. Whatever
still escapes is logged with its trace under an error id, and the answer carries only that id.

The routes that change something take an ``Idempotency-Key`` header (``herald.idempotency``): a repeat of the same
request within 24 hours gets the first answer back (with ``Idempotent-Replayed: true``) instead of doing it twice.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from swagger_ui_bundle import swagger_ui_path

from herald.boundary import (
    NotJson,
    check_json_shape,
    decode_request_bytes,
    incident_message,
    is_not_json,
    record_incident,
    violations_from_errors,
)
from herald.errors import ValidationError
from herald.idempotency import InProgress
from herald_airflow.api_common import refusal
from herald_airflow.api_posts import router as posts_router
from herald_airflow.pages import is_page_form
from herald_airflow.pages import router as pages_router

log = logging.getLogger("herald.api")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
DOCS_ASSETS = "/docs-assets"

# The interactive docs are served from files in the environment (swagger-ui-bundle), never from a CDN: nothing here
# reaches one, and an operator's browser may not either.
app = FastAPI(title="Herald", description="Queue timed releases, approve them, see where they stand.",
              docs_url=None, redoc_url=None)
app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")


@app.get("/docs", include_in_schema=False)
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(openapi_url=f"{root}{app.openapi_url}", title="Herald 接口文档",
                               swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
                               swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
                               swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon-32x32.png")



@app.exception_handler(ValidationError)
async def _refused(_request: Request, error: ValidationError) -> JSONResponse:
    return refusal(400 if isinstance(error, NotJson) else 422, error.violations)


@app.exception_handler(InProgress)
async def _in_progress(_request: Request, error: InProgress) -> JSONResponse:
    response = refusal(409, error.violations)
    response.headers["Retry-After"] = "1"
    return response


@app.exception_handler(StarletteHTTPException)
async def _no_such_route(request: Request, error: StarletteHTTPException) -> JSONResponse:
    """The framework's own answers (no such address, wrong method) in the door's shape and in Chinese."""
    from herald.boundary import FORMAT_RULE
    from herald.errors import Violation

    message = {401: "请先登录 Airflow（或带上登录令牌）", 403: "无权访问这个地址",
               404: f"没有这个地址：{request.url.path}", 405: f"此地址不接受 {request.method} 请求"}.get(
        error.status_code, f"请求无法处理（HTTP {error.status_code}）")
    response = refusal(error.status_code, [Violation("请求", FORMAT_RULE, message)])
    for name, value in (error.headers or {}).items():  # e.g. WWW-Authenticate on a 401
        response.headers[name] = value
    return response


@app.exception_handler(RequestValidationError)
async def _malformed(request: Request, error: RequestValidationError) -> JSONResponse:
    body_field = getattr(request.scope.get("route"), "body_field", None)
    model = body_field.field_info.annotation if body_field is not None else None  # the body's model names the rules
    violations = violations_from_errors(error.errors(), model, located=True)
    return refusal(400 if is_not_json(violations) else 422, violations)


@app.exception_handler(Exception)
async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    error_id = record_incident(log, error, f"{request.method} {request.url.path}")
    from sqlalchemy.exc import OperationalError

    from herald.errors import HeraldError

    # Herald's database unreachable or its connection not configured: the service is unavailable, not broken.
    unavailable = isinstance(error, OperationalError | HeraldError) or type(error).__name__ == "AirflowNotFoundException"
    status = 503 if unavailable else 500
    return JSONResponse(status_code=status, content={"error_id": error_id, "message": incident_message(error_id)})


@app.middleware("http")
async def _sane_documents(request: Request, call_next):
    """Size, encoding and depth of a body are checked before any JSON parser sees it (deep nesting kills parsers)."""
    if request.method in _BODY_METHODS and not is_page_form(request):  # page forms: checked by herald_airflow.pages
        try:
            text = decode_request_bytes(await request.body())
            check_json_shape(text)
        except NotJson as refused:
            return refusal(400, refused.violations)
    return await call_next(request)



app.include_router(posts_router)
app.include_router(pages_router)  # /herald/pages/...: HTML for schedulers and approvers
app.include_router(__import__("herald_airflow.api_findings", fromlist=["router"]).router)
app.include_router(__import__("herald_airflow.api_packs", fromlist=["router"]).router)  # /herald/packs: 审计包
app.include_router(__import__("herald_airflow.api_account_changes", fromlist=["router"]).router)  # ACC-4/5, PUB-6
app.include_router(__import__("herald_airflow.api_complaints", fromlist=["router"]).router)  # /herald/complaints: 投诉 (SEC-4)
app.include_router(__import__("herald_airflow.api_accounts", fromlist=["router"]).router)  # /herald/accounts: 账号开通申请 (ACC-1..3)
