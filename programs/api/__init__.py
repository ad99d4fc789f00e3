"""The REST API of SPEC §6 (``/api/v1/``): one module per concern."""
