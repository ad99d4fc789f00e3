"""Reading flags: which flags a user sees (``selectors``), how they are filtered (``filters``)
and the one JSON shape of a flag (``serializers``), shared by the API, the ``flags`` command,
the dashboards and webhooks.

Flags are raised, resolved and acknowledged by the balance engine (``programs.balance.flags``).
"""
