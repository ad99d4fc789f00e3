"""Reading the dashboards' tables and their Download links out of a page's HTML, and the
downloaded files' rows, for the download tests."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from openpyxl import load_workbook


@dataclass
class Block:
    """A table (its body rows' cell texts) or a list (its items' texts) on a page, with the
    heading above it and the Download links that follow it."""

    kind: str
    heading: str
    element_id: str | None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.heading = ""
        self._in_heading = False
        self._block: Block | None = None
        self._section = ""
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_downloads = False
        self._link: str | None = None
        #: The block the next Download links belong to: none once a heading starts.
        self._last: Block | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("h2", "h3"):
            self._in_heading, self.heading, self._last = True, "", None
        elif tag in ("table", "ul") and self._block is None:
            self._block = Block(tag, self.heading.strip(), attributes.get("id"))
        elif tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr" and self._block is not None:
            self._cells = []
        elif self._starts_cell(tag):
            self._cell = []
        elif tag == "p" and attributes.get("class") == "downloads":
            self._in_downloads = True
        elif tag == "a" and self._in_downloads:
            self._link = attributes["href"]

    def handle_endtag(self, tag):
        if tag in ("h2", "h3"):
            self._in_heading = False
        elif tag in ("th", "td") and self._cell is not None and self._cells is not None:
            self._cells.append(_text(self._cell))
            self._cell = None
        elif tag == "li" and self._cell is not None and self._block is not None:
            self._block.rows.append([_text(self._cell)])
            self._cell = None
        elif tag == "tr" and self._cells is not None and self._block is not None:
            if self._section == "thead":
                self._block.header = self._cells
            else:
                self._block.rows.append(self._cells)
            self._cells = None
        elif tag == self.block_tag():
            self.blocks.append(self._block)  # type: ignore[arg-type]
            self._last, self._block = self._block, None
        elif tag == "p":
            self._in_downloads = False
        elif tag == "a":
            self._link = None

    def _starts_cell(self, tag: str) -> bool:
        """A table cell in a row, or an item of a list block."""
        if tag in ("th", "td"):
            return self._cells is not None
        return tag == "li" and self._block is not None and self._block.kind == "ul"

    def block_tag(self) -> str | None:
        return self._block.kind if self._block is not None else None

    def handle_data(self, data):
        if self._in_heading:
            self.heading += data
        if self._cell is not None:
            self._cell.append(data)
        if self._link is not None and self._last is not None and data.strip():
            self._last.links.setdefault(data.strip(), self._link)


def _text(parts: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def page_blocks(html: str) -> list[Block]:
    parser = _PageParser()
    parser.feed(html)
    return parser.blocks


def block_with_links(blocks: list[Block], section: str) -> Block:
    """The one table or list whose Download links ask for ``section``."""
    found = [b for b in blocks if any(f"section={section}&" in url for url in b.links.values())]
    assert len(found) == 1, (section, [b.heading for b in found])
    return found[0]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_table(response) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(body(response).decode("utf-8-sig")))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def xlsx_sheets(response) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(body(response)))
    return {sheet.title: list(sheet.values) for sheet in workbook.worksheets}
