"""Platform clients: WeChat, Weibo, CMS webhooks and manual channels (plain Python, no Airflow).

Every call returns an :class:`~herald.platforms.outcome.Outcome` classified by the
platform's own error codes; an outcome that is not known is ``unconfirmed`` and is
settled by reading the platform, never by sending again.
"""

from herald.platforms.outcome import Outcome, OutcomeKind, classify_wechat, classify_weibo

__all__ = ["Outcome", "OutcomeKind", "classify_wechat", "classify_weibo"]
