"""Comment watch (SEC-2, SEC-3): comments pulled from WeChat and Weibo, screened, escalated, surges reported."""

from herald.comments.audit import comment_watch_records
from herald.comments.settings import WatchSettings, settings_for
from herald.comments.watch import classify, run_cycle, watch

__all__ = ["WatchSettings", "classify", "comment_watch_records", "run_cycle", "settings_for", "watch"]
