"""The Django admin: the analysts' main tool for recording data. One module per concern."""

from programs.admin import (  # noqa: F401
    flags,
    governance,
    nations,
    programmes,
    scans,
    scenarios,
    techtransfer,
    tokens,
    users,
    whatif,
)
