"""Queue and approve (PUB-1, PUB-2, CON-1 to CON-10): one door for schedulers, one record for approvers.

- ``queue``: validate a post (or a matrix release over many accounts) against its account's
  policy, screen it, and store it awaiting approval; refuse with every violation at once and
  store nothing.
- ``approval``: decide the next step of a post's chain; every decision binds to the content hash.
- ``lifecycle``: edit (voids signatures), expire what was not approved in time, show state and history.
- ``approval_requests``: asking approvers where they work: which step is pending, who may answer,
  the request's text, and how an answer becomes a decision (wired into Airflow by herald_airflow).
- ``chain``: the chain a post is queued with: the policy's chain plus the confidentiality step (CON-3),
  the competent department's authorisation of a marked or screened sensitive item (CON-5) and the
  creation chain's steps for a paid repost (CON-6); ``marked``: those steps for the audit pack.
- ``events`` (each post's history of states and reasons) and ``policies`` (the default policy
  lookup) serve the modules above and ``herald.dispatch``.
"""

from herald.posts.model import PostRequest, ReleaseRequest, content_hash

__all__ = ["PostRequest", "ReleaseRequest", "content_hash"]
