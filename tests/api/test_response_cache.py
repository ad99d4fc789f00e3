"""The per-process store of kept entries: least recently used out first."""

from programs.api.response_cache import RecentEntries


def test_the_least_recently_used_entry_goes_first():
    entries = RecentEntries(2)
    entries.put("a", 1)
    entries.put("b", 2)
    assert entries.get("a") == 1  # "a" is now the most recent
    entries.put("c", 3)
    assert entries.get("b") is None
    assert (entries.get("a"), entries.get("c")) == (1, 3)
