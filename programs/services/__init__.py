"""Business logic in plain functions, one module per concern."""
