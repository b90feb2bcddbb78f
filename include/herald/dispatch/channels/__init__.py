"""One Channel per publishing route: what is staged before the second, the one call at it, and the reads after.

``stage(post)`` runs before the publish second (draft/add, the CON-9 preview of a mass send, the
hand-off's checks); ``submit(post, staged)`` is the ONE call at the second; ``confirm(post, ref)`` and
``reconcile(post, staged, since)`` only read the platform. No method here sends a post twice:

- WeChat free publishing has no idempotency key, so a submit whose ``publish_id`` was lost is found by
  ``freepublish/batchget``: every article carries the post id in its ``content_source_url``.
- WeChat mass send carries ``clientmsgid = post_id``. Within 24 h the platform answers a repeated
  sendall with 45065 and the original ``msg_id`` (45066 within a minute) instead of sending again:
  that is the platform's designed way to settle a lost answer, and the only "repeat" Herald makes.
  After 24 h (``MASS_IDEMPOTENCY_WINDOW``) the repeat is no longer safe and reconciliation reports not found.
- Weibo: the share's status object is the proof; a lost answer is looked up in the user's timeline.
- CMS: idempotent by ``item_id = post_id``; a lost answer is read back with ``get_item``.
- Manual channels: the operator's confirmed link is the only evidence.

One module per route: ``base`` (the ``Channel`` contract and what staging returns), ``wechat``,
``weibo``, ``cms``, ``manual``, and ``routing``, which picks a post's channel: its route is
``policy.channels[platform]`` (api / webhook / manual). Which client and connection serve an account
is the ``ClientSource``'s business (``herald_airflow.dispatch_clients`` reads Airflow connections
``herald_<platform>__<account>``, falling back to ``herald_<platform>``).

This package's ``__init__`` imports nothing: import each name from its module.
"""
