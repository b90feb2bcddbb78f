"""Policy as configuration: each organisation's regime is a YAML policy pack validated against a schema.

Four packs ship in ``packs/`` (one per seed policy, 000 the default). Every value cites the clause it
comes from; ``Policy.clause(path)`` returns that citation for findings and audit packs, and
``Policy.content_hash`` identifies the exact file a decision used.

    from herald.policy import load_policy
    policy = load_policy("000")
    policy.approval_chain("subordinate")   # ("supervising_leader", "upper_platform_manager")
    policy.clause("cadence")               # "000 §4.4"
"""

from herald.policy.errors import PolicyError, PolicyIssue
from herald.policy.loader import available_policies, default_policy_id, load_policy
from herald.policy.model import Policy

__all__ = ["Policy", "PolicyError", "PolicyIssue", "available_policies", "default_policy_id", "load_policy"]
