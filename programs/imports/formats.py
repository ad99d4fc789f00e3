"""The CSV format of the admin's import: the dataset tablib reads, built in one pass.

tablib reads a CSV file row by row through ``Dataset.append``, which checks the width of every
row against the dataset in Python: for a file of 50,000 rows that took longer than the rest of
the import's checks together. ``CSV.create_dataset`` reads the same rows with the ``csv``
module, applies tablib's rules to the whole file at once and builds the ``Dataset`` from the
finished rows. The rules (``tablib.formats._csv.import_set`` and ``Dataset._validate``):

* the first row is the header row; an empty first row leaves the dataset without headers;
* empty rows are left out;
* a row shorter than the dataset's width (the headers', else the first row's) is padded with
  empty cells; a longer one is refused with ``InvalidDimensions``.
"""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import tablib
from import_export.formats import base_formats
from tablib.core import InvalidDimensions


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting goes on).

    Reading and checking a large file creates hundreds of thousands of small lists and
    strings that all stay alive until the end; each automatic collection walks all of them
    again, which cost as much as the work itself. What becomes garbage meanwhile is collected
    after the block.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_csv(text: str) -> tablib.Dataset:
    """The ``tablib.Dataset`` that ``tablib.import_set(text, format="csv")`` returns."""
    with paused_gc():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=",")
        headers = next(reader, None) or None
        rows = [row for row in reader if row]
        # tablib checks each row against the width of the rows before it: the headers', else
        # the first row's.
        first = headers if headers is not None else rows[0] if rows else ()
        width = len(first)
        for row in rows:
            if len(row) != width:
                if len(row) > width:
                    raise InvalidDimensions
                row += [""] * (width - len(row))
        return tablib.Dataset(*rows, headers=headers)


class CSV(base_formats.CSV):
    """django-import-export's CSV format, with ``read_csv`` for text read in whole."""

    def create_dataset(self, in_stream: Any, **kwargs: Any) -> tablib.Dataset:
        if isinstance(in_stream, bytes) and self.encoding:
            in_stream = in_stream.decode(self.encoding)
        if kwargs or not isinstance(in_stream, str):
            return super().create_dataset(in_stream, **kwargs)
        return read_csv(in_stream)
