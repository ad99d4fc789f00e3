"""The imbalance rules of SPEC §3, one module each, named as the rule.

How ``bloc_sidelining`` is decided is in ``bloc_sidelining.py``, and so on for every rule.
``registry`` holds what a rule returns (``Condition``), the ``@rule`` decorator and the lists a
scan runs (``programme_rules()``, ``global_rules()``); ``wording`` writes the figures into
explanations and evidence.

Each rule module registers its function with ``@rule("name")``. They are all imported here, and
Python runs this file before any module of the package, so whoever imports
``programs.balance.rules.registry`` finds every rule registered. Scans run them in the order of
``RULE_DEFAULTS``, not in the order of these imports.

Adding a rule: a module named after it with one function decorated ``@rule("name")``, its
import below, and its defaults in ``RULE_DEFAULTS`` (``programs.balance.thresholds``).
"""

from programs.balance.rules import (  # noqa: F401
    bloc_sidelining,
    global_balance,
    leadership_deficit,
    outvoted,
    tech_transfer_asymmetry,
    tech_transfer_overdue,
    workshare_return,
)
