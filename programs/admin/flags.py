"""Admin for flags and balance snapshots (owned by the balance engine)."""
