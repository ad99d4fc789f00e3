"""*Download* links of the dashboards' tables: the API's own export of the same rows, with the
page's filters, so a table downloaded is the table shown (every row, not one page)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import QueryDict

FORMATS = (("csv", "CSV"), ("xlsx", "XLSX"))


@dataclass(frozen=True)
class Download:
    label: str
    url: str


def downloads(api_path: str, filters: QueryDict | dict, **extra: str) -> list[Download]:
    """A link per spreadsheet format to ``api_path`` with ``filters`` (empty ones left out)."""
    links = []
    for fmt, label in FORMATS:
        query = QueryDict(mutable=True)
        for name, value in filters.lists() if isinstance(filters, QueryDict) else filters.items():
            values = value if isinstance(value, list) else [value]
            kept = [str(v) for v in values if v not in ("", None)]
            if kept:
                query.setlist(name, kept)
        for name, value in extra.items():
            query[name] = value
        query["format"] = fmt
        links.append(Download(label, f"{api_path}?{query.urlencode()}"))
    return links


def section_downloads(
    api_path: str, sections: Iterable[str], filters: dict
) -> dict[str, list[Download]]:
    """The links of each of a page's tables: ``api_path`` with ``filters`` and the table's
    ``section``."""
    return {section: downloads(api_path, {**filters, "section": section}) for section in sections}
