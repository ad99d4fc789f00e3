"""The Django admin: the analysts' main tool for recording data. One module per concern."""

from programs.admin import flags  # noqa: F401
