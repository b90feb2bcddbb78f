"""Which policy a post is checked against: the lookup used wherever no other ``policy_for`` is given."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from herald.policy import Policy


def default_policy_for(policy_id: str) -> Policy:
    """The shipped policy pack with this id (``herald.policy.load_policy``, cached by file)."""
    from herald.policy import load_policy  # loaded on first use: importing the posts package stays cheap

    return load_policy(policy_id)
