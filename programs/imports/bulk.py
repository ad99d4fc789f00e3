"""Set-based import of spreadsheet rows: whole files of workshare allocations or contributions.

The admin's spreadsheet import went through django-import-export row by row: per row a lookup of
each natural key (twice), ``full_clean()`` (which asks the database about every foreign key, the
unique key and each check constraint), ``save()``, its historical row and the on-change scan's
own lookup, about twenty queries a row: some 40 rows a second. This module does the same work
per file, column by column:

* natural keys are resolved in one query per referenced model, among the records the importing
  user may see (``programs.access``): a restricted user cannot attach rows to a hidden record,
  which is reported exactly as a key that does not exist;
* every cell goes through its model field's own ``clean()`` (conversion, choices, validators:
  what ``full_clean()`` runs), once per distinct value of the column, then each row through the
  model's ``clean()`` (dates in order, …); the natural key must be unique within the file;
* the stored records with the file's keys are fetched in one query: such a row updates its
  record, or is skipped when nothing changes;
* a file with any bad row writes nothing. Otherwise, in one transaction, new rows are written
  with ``COPY`` (ids drawn from the table's sequence in one query), changed rows with one
  ``UPDATE … FROM unnest(…)`` per batch, and every written row gets its historical row (user,
  time, change reason, all tracked fields, and for an update the record's releasability
  marking) just as ``save()`` would write it: for the new rows one ``INSERT … SELECT`` of the
  rows just copied, for the updated ones a ``COPY``. (On the demo's SQLite, without ``COPY``,
  the same writes go through ``bulk_create`` / ``bulk_update`` and simple-history's bulk
  history.) Each programme touched gets one on-change scan when the transaction commits.

The database's own constraints stay the last word: a row they refuse rolls the whole file back.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, ClassVar

import psycopg
from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.utils import timezone

from programs import access
from programs.balance.triggers import request_scans
from programs.change_reasons import REASON_MAX_LENGTH
from programs.imports.base import default_confidence
from programs.models import (
    Contribution,
    Nation,
    Organisation,
    Participation,
    Programme,
    WorkPackage,
    WorkshareAllocation,
)
from programs.models.base import Tracked, date_order_error
from programs.models.fields import column, concrete_field

#: Rows per UPDATE statement.
BATCH_SIZE = 5000
NEW, UPDATE, SKIP, INVALID = "new", "update", "skip", "invalid"
#: What Django's form fields say of a NUL character, which PostgreSQL text cannot hold.
NUL_MESSAGE = "Null characters are not allowed."
_MISSING = object()


class ImportRefused(Exception):
    """The file as a whole cannot be imported (a missing key column, a database refusal)."""


@dataclass
class ImportedRow:
    """One data row of the file (``number`` counts from 1 after the header) as reported back."""

    number: int
    cells: dict[str, Any]
    kind: str
    instance: Any = None
    #: For an update: the values of the changed fields before the import.
    before: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def validation_error(self) -> ValidationError:
        return ValidationError(self.errors)


@dataclass
class Outcome:
    """What an import found (and, unless a dry run or refused, wrote)."""

    counts: dict[str, int]
    #: The bad rows with their errors, in file order; nothing is written when there is one.
    invalid: list[ImportedRow]
    #: The first good rows with their instance and changes, for a preview.
    preview: list[ImportedRow]
    written: bool = False


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _all(values: Iterable[Any], kind: type) -> bool:
    """Whether every value is exactly of this type (a generator over 50,000 cells is slower)."""
    return set(map(type, values)) <= {kind}


def _texts(cells: list[Any]) -> list[str]:
    """A column of natural keys as stripped text."""
    if _all(cells, str):
        return list(map(str.strip, cells))
    return [cell.strip() if type(cell) is str else _text(cell) for cell in cells]


def refuse_nul_characters(headers: Sequence[str], columns: Sequence[Sequence[Any]]) -> None:
    """Refuse the file at the first natural-key cell holding a NUL character: the keys are
    looked up before any field is checked, and PostgreSQL takes no text with one. (Other
    cells get the row error Django's validator gives.)"""
    for name, cells in zip(headers, columns, strict=False):
        if "\x00" not in "".join(cell for cell in cells if type(cell) is str):
            continue
        for number, cell in enumerate(cells, start=1):
            if type(cell) is str and "\x00" in cell:
                raise ImportRefused(
                    f"Row {number}, column '{name}': the cell holds a NUL character (\\x00), "
                    "which no record can keep; nothing was imported."
                )


class BulkImporter:
    """Imports the rows of one model's spreadsheet; subclasses resolve the natural keys."""

    model: ClassVar[type[Tracked]]
    #: Columns that must be in the header: the natural key as the file writes it.
    key_columns: ClassVar[tuple[str, ...]]
    #: The natural key in the table, as model attribute names.
    key_attnames: ClassVar[tuple[str, ...]]
    #: Model fields read from the column of the same name, when the file has that column.
    value_fields: ClassVar[tuple[str, ...]]
    #: Foreign keys resolved from the file's natural-key columns.
    reference_fields: ClassVar[tuple[str, ...]]
    #: The row values ``clean_row`` reads (attribute names), when known: it then runs once
    #: per distinct combination of them, on those values only. None: on every row, with all.
    clean_reads: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, user: Any = None, *, file_name: str | None = None) -> None:
        self.user = user if getattr(user, "is_authenticated", False) else None
        self.nation_id = access.viewer_nation(self.user)
        reason = f"spreadsheet import {file_name}" if file_name else "spreadsheet import"
        self.reason = reason[:REASON_MAX_LENGTH]
        meta = self.model._meta
        self._fields = {name: concrete_field(self.model, name) for name in self.value_fields}
        self.pk_attname = meta.pk.attname

    # --- checking ---------------------------------------------------------------------------

    def run(
        self,
        headers: Sequence[str] | None,
        columns: Sequence[Sequence[Any]],
        *,
        dry_run: bool,
        preview_rows: int = 0,
    ) -> Outcome:
        """Check every row; unless ``dry_run`` or a row is bad, write them all (atomically).

        ``columns`` holds the file column by column, in the order of ``headers`` (as
        ``resources.dataset_columns`` takes them from a ``tablib.Dataset``).
        """
        self.headers = list(headers or [])
        missing = [column for column in self.key_columns if column not in self.headers]
        if missing:
            raise ImportRefused(
                "The file has no column "
                + ", ".join(f"'{column}'" for column in missing)
                + ": every row needs "
                + ", ".join(self.key_columns)
                + "."
            )
        self.columns = [list(column) for column in columns]
        self.size = len(self.columns[0]) if self.columns else 0
        refuse_nul_characters(
            self.key_columns, [self.columns[self.headers.index(c)] for c in self.key_columns]
        )
        # A header named twice: the last column wins, as in a row read as a dict.
        self.index = {name: position for position, name in enumerate(self.headers)}
        self.present = [name for name in self.value_fields if name in self.index]
        self.errors: dict[int, dict[str, list[str]]] = {}
        #: Errors of a missing column's default value: they concern new rows only.
        self.default_errors: dict[str, list[str]] = {}
        self.refs: dict[str, list[Any]] = {}
        self._ref_ids: dict[str, list[Any]] = {}
        self.resolve_references()
        self.values = {name: self.clean_column(name) for name in self.value_fields}
        self.clean_rows()
        kinds, updates = self.match_existing()
        found = Counter(kinds)
        counts = {kind: found[kind] for kind in (NEW, UPDATE, SKIP, INVALID)}
        outcome = Outcome(counts, self.invalid_rows(), self.preview(kinds, updates, preview_rows))
        if dry_run or outcome.invalid:
            return outcome
        try:
            with transaction.atomic():
                self.write(kinds, updates)
        except (DatabaseError, psycopg.Error) as error:
            raise ImportRefused(
                f"The database refused the rows, nothing was imported: {error}"
            ) from error
        outcome.written = True
        return outcome

    def column(self, name: str) -> list[Any]:
        """The cells of a column (``None`` in every row when the file has no such column)."""
        position = self.index.get(name)
        if position is None:
            return [None] * self.size
        return self.columns[position]

    def ref_ids(self, name: str) -> list[Any]:
        """The id of each row's record of a reference field (None where none was found)."""
        if name not in self._ref_ids:
            records = self.refs[name]
            # Few distinct records: each one's pk read once.
            pks = {
                id(r): (None if r is None else r.pk) for r in {id(r): r for r in records}.values()
            }
            self._ref_ids[name] = list(map(pks.__getitem__, map(id, records)))
        return self._ref_ids[name]

    def error(self, i: int, name: str, message: str) -> None:
        self.errors.setdefault(i, {}).setdefault(name, []).append(message)

    def resolve_references(self) -> None:
        """Fill ``self.refs`` (field name → the record of each row, or None plus an error)."""
        raise NotImplementedError

    def clean_column(self, name: str) -> list[Any]:
        """``Model.clean_fields()`` for one field down the whole column.

        Blank cells of a blank-able field are kept as they are, as Django does; every other
        distinct value goes through the field's ``clean()`` once. A value that fails is kept
        raw (as ``clean_fields`` leaves it) and its messages are the row's errors. Without the
        column, new rows get the field's default and updated records keep their value.
        """
        model_field = self._fields[name]
        internal_type = model_field.get_internal_type()
        text = internal_type in ("TextField", "CharField")
        if name in self.index:
            cells = self.column(name)
            prepare = self.cell_preparer(text, internal_type == "DecimalField")
        else:
            cells = [model_field.get_default()] * self.size
            prepare = None
        if name == "confidence" and not (
            _all(cells, str) and all(cell.strip() for cell in dict.fromkeys(cells))
        ):
            # SPEC §4: a blank or missing confidence is "reported" with a source, else
            # "illustrative". (Decided on the cell as read: its text conversion is as blank.)
            cells = [
                cell if _text(cell) else default_confidence(source)
                for cell, source in zip(cells, self.column("source"), strict=True)
            ]
        empty = model_field.empty_values
        skip_blank = model_field.blank

        def clean(cell: Any) -> Any:
            if prepare is not None:
                cell = prepare(cell)
            if skip_blank and cell in empty:
                return cell
            return self.clean_value(model_field, cell, text)

        if _all(cells, str):
            # A CSV file's column: each distinct text cleaned once, the rows looked up.
            memo = {cell: clean(cell) for cell in dict.fromkeys(cells)}
            cleaned = list(map(memo.__getitem__, cells))
        else:
            cleaned = self.clean_cells(cells, clean)
        if any(issubclass(kind, ValidationError) for kind in set(map(type, cleaned))):
            for i, result in enumerate(cleaned):
                if isinstance(result, ValidationError):
                    if name in self.index:
                        for message in result.messages:
                            self.error(i, name, message)
                    else:
                        self.default_errors.setdefault(name, result.messages)
                    # Kept raw, as clean_fields() leaves it.
                    cleaned[i] = prepare(cells[i]) if prepare is not None else cells[i]
        return cleaned

    @staticmethod
    def cell_preparer(text: bool, decimal: bool) -> Any:
        """How a cell of a text, decimal or other field's column is read before ``clean()``."""
        if text:
            return lambda cell: "" if cell is None else str(cell)
        if decimal:
            # A spreadsheet's 10.1 is the binary float 10.0999…: read it as it is written
            # (its shortest repr), as the import widgets did, not to eighteen digits.
            return lambda cell: (
                (cell.strip() or None)
                if isinstance(cell, str)
                else repr(cell)
                if type(cell) is float
                else cell
            )
        return lambda cell: (cell.strip() or None) if isinstance(cell, str) else cell

    @staticmethod
    def clean_cells(cells: list[Any], clean: Any) -> list[Any]:
        """``clean`` on every cell, once per distinct value (cells of any type)."""
        memo: dict[Any, Any] = {}
        cleaned = []
        for cell in cells:
            # Other types than text keep theirs in the key, so that 1, 1.0 and True stay apart.
            key = cell if type(cell) is str else (type(cell), cell)
            try:
                result = memo[key]
            except KeyError:
                result = memo[key] = clean(cell)
            except TypeError:  # an unhashable cell: clean it every time
                result = clean(cell)
            cleaned.append(result)
        return cleaned

    @staticmethod
    def clean_value(model_field: Any, value: Any, text: bool) -> Any:
        if text and "\x00" in value:
            return ValidationError(NUL_MESSAGE)
        try:
            return model_field.clean(value, None)
        except ValidationError as error:
            return error

    def clean_rows(self) -> None:
        """The model's ``clean()`` on every row (after the fields, as ``full_clean()`` runs it).

        With ``clean_reads`` it runs once per distinct combination of the values it reads.
        """
        columns = {name: self.values[name] for name in self.value_fields}
        columns.update({f"{name}_id": self.ref_ids(name) for name in self.reference_fields})
        names = list(self.clean_reads or columns)
        rows = list(zip(*(columns[name] for name in names), strict=True))
        found: Iterable[dict[str, list[str]] | None]
        if self.clean_reads is None:
            found = (self.row_errors(names, values) for values in rows)
        else:
            try:
                distinct = dict.fromkeys(rows)
            except TypeError:  # an unhashable value (kept raw): each row on its own
                found = (self.row_errors(names, values) for values in rows)
            else:
                for values in distinct:
                    distinct[values] = self.row_errors(names, values)
                if not any(distinct.values()):
                    return
                found = map(distinct.__getitem__, rows)
        for i, errors in enumerate(found):
            if errors:
                for name, messages in errors.items():
                    for message in messages:
                        self.error(i, name, message)

    def row_errors(self, names: list[str], values: tuple) -> dict[str, list[str]] | None:
        """What ``clean_row`` says of one row's values (None when nothing)."""
        try:
            self.clean_row(SimpleNamespace(**dict(zip(names, values, strict=True))))
        except ValidationError as error:
            return error.message_dict
        except (TypeError, ValueError):
            pass  # a value clean() compares could not be converted: reported on its field
        return None

    def clean_row(self, row: Any) -> None:
        """The model's own ``clean()``, run on the row's values."""
        self.model.clean(row)

    def key_columns_of_rows(self) -> list[list[Any]]:
        """The natural key of every row, column by column (ids of the referenced records)."""
        columns = []
        for attname in self.key_attnames:
            name = attname.removesuffix("_id")
            if name in self.refs:
                columns.append(self.ref_ids(name))
            else:
                columns.append(self.values[attname])
        return columns

    def match_existing(self) -> tuple[list[str], dict[int, tuple[Any, dict[str, Any]]]]:
        """Each row's kind (new, update, skip, invalid) and, for stored records, the record
        with the changed fields' old values."""
        errors = self.errors
        rows = list(zip(*self.key_columns_of_rows(), strict=True))
        keys: dict[tuple, int] = {} if errors else dict(zip(rows, range(len(rows)), strict=True))
        if len(keys) != len(rows):  # bad rows or keys given twice: row by row
            keys = {}
            for i, key in enumerate(rows):
                if i in errors:
                    continue
                first = keys.setdefault(key, i)
                if first != i:
                    self.error(
                        i,
                        NON_FIELD_ERRORS,
                        f"Row {first + 1} has the same {', '.join(self.key_columns)}.",
                    )
        existing = self.fetch_existing(list(keys))
        hidden = self.hidden_ids(existing.values())
        updates: dict[int, tuple[Any, dict[str, Any]]] = {}
        for key, record in existing.items():
            i = keys[key]
            if getattr(record, self.pk_attname) in hidden:
                # What full_clean() says of a clash with a record the user cannot see.
                taken = self.taken_key_error()
                access.audit_taken_key(self.user, self.model, {NON_FIELD_ERRORS: [taken]})
                self.error(i, NON_FIELD_ERRORS, taken.messages[0])
                continue
            before = {}
            for name in self.present:
                value = self.values[name][i]
                if getattr(record, name) != value:
                    before[name] = getattr(record, name)
                    setattr(record, name, value)
            updates[i] = (record, before)
        for i in keys.values() if self.default_errors else ():
            if i not in updates:
                for name, messages in self.default_errors.items():
                    for message in messages:
                        self.error(i, name, message)
        if not self.errors and not updates:
            return [NEW] * self.size, updates
        kinds = []
        for i in range(self.size):
            if i in self.errors:
                kinds.append(INVALID)
            elif i in updates:
                kinds.append(UPDATE if updates[i][1] else SKIP)
            else:
                kinds.append(NEW)
        return kinds, updates

    def taken_key_error(self) -> ValidationError:
        constraint = next(c for c in self.model._meta.constraints if getattr(c, "fields", None))
        fields = getattr(constraint, "fields", ())
        return self.model().unique_error_message(self.model, fields)

    def fetch_existing(self, keys: list[tuple]) -> dict[tuple, Any]:
        """The stored records with these natural keys, in one query.

        The query asks for every record whose key parts are each among the file's (dates
        within the file's range) and the exact keys are picked here: a handful of small
        parameters, where a join with the keys ``unnest``-ed from arrays spent longer
        sending the arrays than the database spent on the join.
        """
        if not keys:
            return {}
        conditions: dict[str, Any] = {}
        for position, attname in enumerate(self.key_attnames):
            values = {key[position] for key in keys}
            if attname.endswith("_id"):
                conditions[f"{attname}__in"] = sorted(values)
            else:
                conditions[f"{attname}__range"] = (min(values), max(values))
        wanted = set(keys)
        existing = {}
        attnames = [f.attname for f in self.model._meta.concrete_fields]
        stored = self.model._default_manager.filter(**conditions).order_by().values_list(*attnames)
        for values in stored:
            # The stored values only: model instances cost more than the rest of the import.
            record = SimpleNamespace(**dict(zip(attnames, values, strict=True)))
            key = tuple(getattr(record, attname) for attname in self.key_attnames)
            if key in wanted:
                existing[key] = record
        return existing

    def hidden_ids(self, records: Iterable[Any]) -> set[int]:
        ids = [getattr(record, self.pk_attname) for record in records]
        if self.nation_id is None or not ids:
            return set()
        visible = access.released_to(self.model._default_manager.filter(pk__in=ids), self.nation_id)
        return set(ids) - set(visible.values_list("pk", flat=True))

    # --- reporting --------------------------------------------------------------------------

    def cells(self, i: int) -> dict[str, Any]:
        return {name: column[i] for name, column in zip(self.headers, self.columns, strict=True)}

    def invalid_rows(self) -> list[ImportedRow]:
        return [
            ImportedRow(i + 1, self.cells(i), INVALID, errors=self.errors[i])
            for i in sorted(self.errors)
        ]

    def preview(self, kinds: list[str], updates: dict, limit: int) -> list[ImportedRow]:
        rows: list[ImportedRow] = []
        for i, kind in enumerate(kinds):
            if len(rows) >= limit:
                break
            if kind == INVALID:
                continue
            if kind == NEW:
                instance, before = self.new_instance(i), {}
            else:
                record, before = updates[i]
                attnames = [f.attname for f in self.model._meta.concrete_fields]
                instance = self.model.from_db(
                    None, attnames, [getattr(record, a) for a in attnames]
                )
                for name in self.reference_fields:
                    setattr(instance, name, self.refs[name][i])
            rows.append(ImportedRow(i + 1, self.cells(i), kind, instance, before))
        return rows

    def new_instance(self, i: int) -> Any:
        """The unsaved record of row ``i``, built as ``Model.from_db`` builds one."""
        values = {f.attname: f.get_default() for f in self.model._meta.concrete_fields}
        values.update({name: self.values[name][i] for name in self.value_fields})
        instance = self.model.__new__(self.model)
        instance._state = ModelState()
        instance.__dict__.update(values)
        for name in self.reference_fields:
            setattr(instance, name, self.refs[name][i])
        return instance

    # --- writing ----------------------------------------------------------------------------

    def write(self, kinds: list[str], updates: dict[int, tuple[Any, dict[str, Any]]]) -> None:
        """Insert the new rows, update the changed ones, and one historical row for each."""
        new = [i for i, kind in enumerate(kinds) if kind == NEW]
        changed = [i for i, kind in enumerate(kinds) if kind == UPDATE]
        if connection.vendor != "postgresql":
            self.write_portably(new, [updates[i] for i in changed])
        if new and connection.vendor == "postgresql":
            ids = self.next_ids(self.model, column(self.model, self.pk_attname), len(new))
            every = len(new) == self.size

            def of_new(column: list[Any]) -> list[Any]:
                return column if every else [column[i] for i in new]

            columns: dict[str, Sequence[Any]] = {self.model._meta.pk.attname: ids}
            for f in self.model._meta.concrete_fields:
                if f.primary_key:
                    continue
                if f.is_relation:
                    columns[f.attname] = of_new(self.ref_ids(f.name))
                elif f.name in self.values:
                    columns[f.attname] = of_new(self.values[f.name])
                else:
                    columns[f.attname] = [f.get_default()] * len(new)
            copy_rows(self.model, columns)
            self.write_history_of_new(ids)
        if changed and connection.vendor == "postgresql":
            fields = sorted({name for i in changed for name in updates[i][1]})
            records = [updates[i][0] for i in changed]
            for start in range(0, len(records), BATCH_SIZE):
                self.update_batch(records[start : start + BATCH_SIZE], fields)
            tracked = [f.attname for f in self.model.history.model.tracked_fields]
            columns = {name: [getattr(r, name) for r in records] for name in tracked}
            history_ids = self.write_history(columns, len(records), "~")
            pks = [getattr(record, self.pk_attname) for record in records]
            self.copy_markings(dict(zip(pks, history_ids, strict=True)))
        request_scans(self.programmes_of(new + changed))

    def write_portably(self, new: list[int], changed: list[tuple[Any, dict[str, Any]]]) -> None:
        """The same writes through the ORM, for the demo's SQLite (no ``COPY``, no sequences):
        ``bulk_create`` and ``bulk_update`` in batches, and simple-history's bulk history."""
        history = self.model.history
        now = timezone.now()
        extra = {
            "batch_size": BATCH_SIZE,
            "default_user": self.user,
            "default_change_reason": self.reason,
            "default_date": now,
        }
        if new:
            created = self.model._default_manager.bulk_create(
                [self.new_instance(i) for i in new], batch_size=BATCH_SIZE
            )
            history.bulk_history_create(created, **extra)
        if changed:
            attnames = [f.attname for f in self.model._meta.concrete_fields]
            records = [
                self.model.from_db(None, attnames, [getattr(record, a) for a in attnames])
                for record, _ in changed
            ]
            fields = sorted({name for _, before in changed for name in before})
            self.model._default_manager.bulk_update(records, fields, batch_size=BATCH_SIZE)
            written = history.bulk_history_create(records, update=True, **extra)
            self.copy_markings(
                {record.pk: h.history_id for record, h in zip(records, written, strict=True)}
            )

    def write_history(
        self, columns: dict[str, Sequence[Any]], count: int, kind: str
    ) -> Sequence[int]:
        """One historical row per written record (who, when, why, every tracked field), as
        ``save()`` writes it; returns their history ids, in order."""
        history = self.model.history.model
        ids = self.next_ids(history, "history_id", count)
        tracked = {f.attname: columns[f.attname] for f in history.tracked_fields}
        copy_rows(
            history,
            {
                "history_id": ids,
                "history_date": [timezone.now()] * count,
                "history_change_reason": [self.reason] * count,
                "history_type": [kind] * count,
                "history_user_id": [self.user.pk if self.user else None] * count,
                **tracked,
            },
        )
        return ids

    def write_history_of_new(self, ids: Sequence[int]) -> None:
        """The historical rows of the records just inserted: one ``INSERT … SELECT`` of their
        tracked columns as stored (who, when and why as ``write_history`` gives them).

        The rows are those of the new ids: a range of ids when they follow each other (as
        ``next_ids`` draws them unless another session draws at the same time), else the list.
        """
        history = self.model.history.model
        quote = connection.ops.quote_name
        meta, history_meta = self.model._meta, history._meta
        tracked = [f.attname for f in history.tracked_fields]
        targets = [column(history, name) for name in tracked]
        sources = [column(self.model, name) for name in tracked]
        sql = (
            f"INSERT INTO {quote(history_meta.db_table)} (history_date, history_change_reason, "
            f"history_type, history_user_id, {', '.join(map(quote, targets))}) "
            f"SELECT %s, %s, '+', %s, {', '.join(f't.{quote(c)}' for c in sources)} "
            f"FROM {quote(meta.db_table)} t WHERE t.{quote(column(self.model, self.pk_attname))} "
        )
        params = [timezone.now(), self.reason, self.user.pk if self.user else None]
        low, high = min(ids), max(ids)
        if high - low + 1 == len(ids):  # ids are distinct: these are all the ids in between
            sql += "BETWEEN %s AND %s"
            params += [low, high]
        else:
            sql += "= ANY(%s::bigint[])"
            params.append(list(ids))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    @staticmethod
    def next_ids(model: type[Model], column: str, count: int) -> Sequence[int]:
        """``count`` values of the table's id sequence, drawn in one query: a ``range`` when
        they follow each other, else their list (another session drew values meanwhile)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, column])
            [sequence] = cursor.fetchone()
            cursor.execute(
                "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL "
                "ELSE array_agg(v) END "
                "FROM (SELECT nextval(%s::regclass) AS v FROM generate_series(1, %s)) AS drawn",
                [sequence, count],
            )
            low, high, scattered = cursor.fetchone()
        return range(low, high + 1) if scattered is None else scattered

    def update_batch(self, records: list[Any], fields: list[str]) -> None:
        """One ``UPDATE … FROM unnest(…)`` for a batch (``bulk_update``'s CASE is quadratic)."""
        meta = self.model._meta
        quote = connection.ops.quote_name
        columns = [concrete_field(self.model, name) for name in fields]
        pk = concrete_field(self.model, self.pk_attname)
        arrays = ", ".join(f"%s::{c.db_type(connection)}[]" for c in [pk, *columns])
        names = ", ".join(["id", *(f"v{i}" for i in range(len(columns)))])
        assignments = ", ".join(f"{quote(str(c.column))} = v.v{i}" for i, c in enumerate(columns))
        sql = (
            f"UPDATE {quote(meta.db_table)} t SET {assignments} "
            f"FROM unnest({arrays}) AS v({names}) WHERE t.{quote(str(pk.column))} = v.id"
        )
        params = [[getattr(record, pk.attname) for record in records]] + [
            prepared_once(c, [getattr(r, c.attname) for r in records]) for c in columns
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def copy_markings(self, history_ids: dict[int, int]) -> None:
        """Historical rows of updated records carry their releasability, as ``save()`` does."""
        history = self.model.history.model
        through = self.model.releasable_to.through
        own = next(
            f.attname
            for f in through._meta.fields
            if f.is_relation and f.related_model is self.model
        )
        names = [f.attname for f in through._meta.fields]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            # One array parameter: an ``__in`` list of every updated id took longer to build
            # and send than the query took to run.
            cursor.execute(
                f"SELECT {', '.join(quote(column(through, n)) for n in names)} "
                f"FROM {quote(through._meta.db_table)} "
                f"WHERE {quote(column(through, own))} = ANY(%s)",
                [list(history_ids)],
            )
            marks = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        if not marks:
            return
        m2m_history = apps.get_model(history._meta.app_label, f"{history.__name__}_releasable_to")
        m2m_history.objects.bulk_create(
            [m2m_history(history_id=history_ids[mark[own]], **mark) for mark in marks],
            batch_size=BATCH_SIZE,
        )

    def programmes_of(self, rows: list[int]) -> set[int]:
        """The programmes the written rows belong to (each gets an on-change scan)."""
        raise NotImplementedError


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: Any) -> str:
    """A value as PostgreSQL's ``COPY … FROM STDIN`` text format writes it."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime.date):  # dates and aware datetimes
        return value.isoformat()
    return str(value)  # integers and decimals


def prepared_once(field: Any, values: list[Any]) -> list[Any]:
    """``field.get_db_prep_save`` of each value, computed once per distinct value (a decimal's
    took 15 µs, and a file repeats its amounts, dates and sources)."""
    try:
        memo = {value: field.get_db_prep_save(value, connection) for value in dict.fromkeys(values)}
    except TypeError:  # unhashable values (a JSON field's): prepared one by one
        return [field.get_db_prep_save(value, connection) for value in values]
    return list(map(memo.__getitem__, values))


def copy_rows(model: type[Model], columns: dict[str, Sequence[Any]]) -> None:
    """``COPY`` the rows given column by column (model attribute names) into the model's table.

    The text is built here, each distinct value of a column formatted once: psycopg's
    ``write_row`` adapts every value of every row and took longer than the database.
    """
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(by_attname[attname].column)) for attname in columns)
    sql = f"COPY {quote(meta.db_table)} ({names}) FROM STDIN"
    texts = []
    for values in columns.values():
        if _all(values, int):  # ids: all distinct, nothing to escape
            texts.append(list(map(str, values)))
            continue
        memo = {v: copy_text(v) for v in dict.fromkeys(values)}
        texts.append(list(map(memo.__getitem__, values)))
    count = len(texts[0]) if texts else 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        # Sent a batch at a time: the database takes each one while the next is joined.
        for start in range(0, count, BATCH_SIZE):
            rows = zip(*(text[start : start + BATCH_SIZE] for text in texts), strict=True)
            copy.write("\n".join(map("\t".join, rows)) + "\n")


def _released(queryset: Any, nation_id: int | None) -> Any:
    return access.released_to(queryset, nation_id)


class WorkshareImporter(BulkImporter):
    """Workshare allocations keyed by programme, work package, organisation and period start."""

    model = WorkshareAllocation
    key_columns = ("programme", "work_package", "organisation", "period_start")
    key_attnames = ("work_package_id", "organisation_id", "period_start")
    value_fields = ("period_start", "period_end", "amount", "source", "confidence")
    reference_fields = ("work_package", "organisation")
    #: What ``WorkshareAllocation.clean()`` reads.
    clean_reads = ("period_start", "period_end")

    def resolve_references(self) -> None:
        codes = _texts(self.column("programme"))
        package_codes = _texts(self.column("work_package"))
        names = _texts(self.column("organisation"))
        programmes = {
            p.pk: p
            for p in _released(Programme.objects.filter(code__in=set(codes)), self.nation_id)
        }
        programme_ids = {p.code: p.pk for p in programmes.values()}
        packages = {}
        for package in _released(
            WorkPackage.objects.filter(programme__in=programmes, code__in=set(package_codes)),
            self.nation_id,
        ):
            package.programme = programmes[package.programme_id]
            packages[(package.programme.code, package.code)] = package
        self.packages = packages
        organisations = {
            o.name: o
            for o in _released(Organisation.objects.filter(name__in=set(names)), self.nation_id)
        }
        null = str(WorkshareAllocation._meta.get_field("work_package").error_messages["null"])
        found_packages = list(map(packages.get, zip(codes, package_codes, strict=True)))
        found_organisations = list(map(organisations.get, names))
        missing = {i for i, found in enumerate(found_packages) if found is None}
        missing.update(i for i, found in enumerate(found_organisations) if found is None)
        for i in sorted(missing):
            code, package, name = codes[i], package_codes[i], names[i]
            if found_packages[i] is None:
                if not package:
                    self.error(i, "work_package", null)
                elif not code:
                    self.error(
                        i,
                        "work_package",
                        f"Give the programme of work package '{package}' in the programme column.",
                    )
                elif code not in programme_ids:
                    self.error(i, "work_package", f"No programme with code '{code}'.")
                else:
                    self.error(
                        i, "work_package", f"No work package '{package}' in programme '{code}'."
                    )
            if found_organisations[i] is None:
                if not name:
                    self.error(i, "organisation", null)
                else:
                    self.error(i, "organisation", f"No organisation with name '{name}'.")
        self.refs = {"work_package": found_packages, "organisation": found_organisations}

    def programmes_of(self, rows: list[int]) -> set[int]:
        programme_of = {p.pk: p.programme_id for p in self.packages.values()}
        return {programme_of[pk] for pk in set(map(self.ref_ids("work_package").__getitem__, rows))}


class ContributionImporter(BulkImporter):
    """Contributions keyed by programme, nation and period start."""

    model = Contribution
    key_columns = ("programme", "nation", "period_start")
    key_attnames = ("programme_id", "nation_id", "period_start")
    value_fields = ("period_start", "period_end", "amount", "source", "confidence")
    reference_fields = ("programme", "nation")
    #: What ``clean_row`` reads.
    clean_reads = ("period_start", "period_end", "programme_id", "nation_id")

    def resolve_references(self) -> None:
        codes = _texts(self.column("programme"))
        nation_codes = _texts(self.column("nation"))
        programmes = {
            p.code: p
            for p in _released(Programme.objects.filter(code__in=set(codes)), self.nation_id)
        }
        nations = {n.code: n for n in Nation.objects.filter(code__in=set(nation_codes))}
        self.participants = set(
            Participation.objects.filter(programme__in=programmes.values()).values_list(
                "programme_id", "nation_id"
            )
        )
        null = str(Contribution._meta.get_field("programme").error_messages["null"])
        for name, cells, found in (
            ("programme", codes, programmes),
            ("nation", nation_codes, nations),
        ):
            records = []
            for i, cell in enumerate(cells):
                record = found.get(cell)
                if record is None:
                    self.error(i, name, f"No {name} with code '{cell}'." if cell else null)
                records.append(record)
            self.refs[name] = records

    def clean_row(self, row: Any) -> None:
        # Contribution.clean(), its participant check answered from one query for the file.
        error = date_order_error(row.period_start, row.period_end, "period_start", "period_end")
        if error:
            raise error
        key = (row.programme_id, row.nation_id)
        if None not in key and key not in self.participants:
            raise ValidationError({"nation": "This nation does not take part in the programme."})

    def programmes_of(self, rows: list[int]) -> set[int]:
        return set(map(self.ref_ids("programme").__getitem__, rows))
