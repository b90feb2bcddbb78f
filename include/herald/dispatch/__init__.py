"""Timed release (issue 4): dispatch approved posts exactly once, on the second, and know where they went.

The life of a due post, one module per step:

- ``stage``: before the second, check the post again and prepare everything that can be prepared
  (token, WeChat draft, preview send for a mass send), bound to the content hash.
- ``claim``: at the second, re-verify the chain for the current hash and claim the post with one
  conditional update (approved -> dispatching); act only if exactly one row changed.
- ``dispatcher``: a write-ahead attempt row, the one platform call, then the platform's ids stored
  before anything else; ``confirm`` (read-only, safe to repeat) files the published item.
- ``reconcile``: settles what was left unknown by reading the platform, never by sending again.
- ``manual``: the confirmations and deadlines of hand-offs to operators of channels without an API.
- ``channels``: one module per publishing route (``wechat``, ``weibo``, ``cms``, ``manual``) on the
  contract in ``channels.base``; ``channels.routing.Channels`` picks each post's channel.

Posts move approved -> dispatching -> unconfirmed -> published, or -> failed with the reason, or back
to approved (with the reason and a retry time) when nothing reached the platform.
"""
