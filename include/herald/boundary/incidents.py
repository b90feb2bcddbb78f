"""What still escapes the typed door: logged with its trace under an error id that the user is told."""

from __future__ import annotations

import logging
import secrets


def new_error_id() -> str:
    return "E" + secrets.token_hex(4).upper()


def record_incident(logger: logging.Logger, error: BaseException, where: str) -> str:
    """Log ``error`` with its traceback under a fresh id; return the id to tell the user."""
    error_id = new_error_id()
    logger.error("unexpected error %s in %s: %s", error_id, where, error, exc_info=error)
    return error_id


def incident_message(error_id: str) -> str:
    return f"Herald 内部错误（错误编号 {error_id}），请求未被处理；请把错误编号告诉管理员"
