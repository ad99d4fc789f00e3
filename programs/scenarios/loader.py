"""Load SPEC §4 scenario files into the domain model.

How a load behaves (the README's "Scenario files" section says the same for analysts):

* Keys are read in dependency order (nations first, agreements last), whatever their order in
  the file, so a record may refer to anything defined earlier in that order, in this file or
  already in the database.
* A record upserts by its natural key. Fields it states are set (``null`` clears a field); fields
  it omits keep their stored value, and a new record gets the model's default. Provenance is
  always stated: ``source`` defaults to blank and ``confidence`` to ``reported`` when a source is
  given, else ``illustrative``. Nested seats, votes and thresholds inherit their parent's
  provenance unless they state their own.
* Records the file does not mention are left alone, nested ones included: a seat or vote that is
  no longer listed is not deleted (delete it in the admin).
* Every record goes through the model's ``full_clean()``, so the invariants of
  ``programs.models`` are the only rules; checks that need the whole file (a venture's stakes sum
  to 100, an agreement binds two or more nations, unknown keys and fields, references to unknown
  natural keys, the same natural key twice) are added here.
* Any record but a nation (seats and votes included) may state ``releasable_to``, a list of
  nation codes: the nations it is released to (``programs.access``). Stated, the marking is set
  to exactly those nations (``[]`` or ``null`` clears it, back to the default); omitted, the
  stored marking is left alone. An unknown code is an error on the field, and a restricted
  user loading the file must keep their own nation in every marking they set.
* A record is saved only when one of its stored values differs, and a many-to-many set only when
  its members differ, so loading the same file twice writes nothing and leaves no history.
* All files of one call load in one transaction. Every error found is collected, then
  :class:`ScenarioError` rolls the whole call back; each message names the file, the record (key,
  index and natural key) and the field.
"""

import contextlib
import datetime
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, models, transaction
from django.db.models import Sum

from programs import bounds
from programs.access import RELEASE_PATHS, releasable_nations_error, released_to, viewer_nation
from programs.models import (
    Agreement,
    Contribution,
    Decision,
    DecisionBody,
    LeadershipRole,
    Nation,
    Organisation,
    OwnershipStake,
    Participation,
    Programme,
    ScenarioLoad,
    Seat,
    TechTransferMilestone,
    ThresholdOverride,
    Vote,
    WorkPackage,
    WorkshareAllocation,
)
from programs.models.base import Confidence
from programs.models.fields import concrete_field
from programs.models.nations import agreement_nations_error, stake_total_error

M = TypeVar("M", bound=models.Model)

FORMAT = "gcaptrack-scenario/1"

#: The record keys of SPEC §4, in the order they are loaded.
KEY_ORDER = (
    "nations",
    "organisations",
    "ownership_stakes",
    "programmes",
    "participations",
    "contributions",
    "work_packages",
    "workshare",
    "decision_bodies",
    "leadership_roles",
    "decisions",
    "tech_transfers",
    "agreements",
)
TOP_LEVEL_KEYS = ("format", "as_of", *KEY_ORDER)
PROVENANCE = ("source", "confidence")
RELEASABLE_TO = "releasable_to"
#: Keys (nested ones included) whose records may state ``releasable_to``: all but nations, and
#: thresholds, which have no record of their own in the file (they follow their programme).
RELEASABLE_KEYS = frozenset(KEY_ORDER) - {"nations"} | {"seats", "votes"}

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


class ScenarioError(Exception):
    """A scenario call that changed nothing; ``errors`` holds one message per problem found."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass
class FileResult:
    """What one file of a call did, per key (nested seats, votes and thresholds have their own)."""

    name: str
    sha256: str
    as_of: datetime.date | None
    counts: dict[str, Counts] = field(default_factory=dict)
    #: Whether a ScenarioLoad row was written for this file.
    recorded: bool = False

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.counts.values():
            total.created += counts.created
            total.updated += counts.updated
            total.unchanged += counts.unchanged
        return total

    @property
    def changed(self) -> bool:
        total = self.total
        return bool(total.created or total.updated)


def load_scenario_files(paths: Sequence[str | Path], *, user=None) -> list[FileResult]:
    """Load scenario files in one transaction; raise ScenarioError (nothing changed) on any error."""
    sources = []
    errors = []
    for path in paths:
        try:
            sources.append((str(path), Path(path).read_bytes()))
        except OSError as exc:
            errors.append(f"{path}: cannot read the file: {exc.strerror or exc}.")
    if errors:
        raise ScenarioError(errors)
    return load_scenario_texts(sources, user=user)


def load_scenario_texts(
    sources: Iterable[tuple[str, bytes | str]], *, user=None, as_seen_by_user: bool = False
) -> list[FileResult]:
    """Load (name, content) pairs as scenario files, all in one transaction.

    ``as_seen_by_user`` applies the files to the data as a restricted ``user`` sees it: a record
    hidden from them is unknown (a reference to it is an error, as for a key that does not
    exist), and a record whose natural key a hidden one holds is added after that hidden one is
    deleted, as if it never existed. Only what-if drafts ask for it, inside a transaction that
    is always rolled back (``programs.whatif``).
    """
    errors: list[str] = []
    loaders = []
    for name, content in sources:
        loader = _FileLoader(
            name, content.encode() if isinstance(content, str) else content, errors
        )
        if as_seen_by_user:
            loader.seen_by = viewer_nation(user)
        loader.parse()
        loaders.append(loader)
    if errors:
        # Files that are not scenarios fail before the database is touched.
        raise ScenarioError(errors)
    with transaction.atomic():
        for loader in loaders:
            loader.run(user)
        if errors:
            raise ScenarioError(errors)
    return [loader.result for loader in loaders]


_MISSING = object()


class _SafeLoader(yaml.SafeLoader):
    """``yaml.safe_load``, except that a date-like scalar that is no date (2021-02-30) stays a
    string, so the record's own field reports it instead of the whole file failing."""


def _timestamp_or_string(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_string)


def _show(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, list | dict):
        return "…"
    return str(value)


class _Record:
    """One record of the file being read: its label for messages and its errors."""

    def __init__(
        self,
        sink: list[str],
        prefix: str,
        key: str,
        index: int | str,
        data: dict,
        natural: Sequence[str],
    ) -> None:
        self.data = data
        self.sink = sink
        shown = "/".join(_show(data.get(name)) for name in natural)
        self.label = f"{key}[{index}]" + (f" ({shown})" if natural else "")
        self.where = prefix + self.label
        self.failed = False
        #: Set when the record refers to one that failed above: its error is already reported.
        self.blocked = False

    def error(self, field_name: str | None, message: str) -> None:
        self.failed = True
        if field_name and field_name != NON_FIELD_ERRORS:
            self.sink.append(f"{self.where}: {field_name}: {message}")
        else:
            self.sink.append(f"{self.where}: {message}")

    @property
    def ok(self) -> bool:
        return not (self.failed or self.blocked)


class _FileLoader:
    def __init__(self, name: str, raw: bytes, errors: list[str]) -> None:
        self.name = name
        self.raw = raw
        self.user = None
        self.data: dict = {}
        self.errors = errors
        self.reason = f"scenario {Path(name).name}"
        self.result = FileResult(name=name, sha256=hashlib.sha256(raw).hexdigest(), as_of=None)
        self.cache: dict[tuple, models.Model] = {}
        self.failed_keys: set[tuple] = set()
        self.error_count_before = len(errors)
        #: The nation whose view of the data the file is applied to (None: all of it).
        self.seen_by: int | None = None

    # -- the file ------------------------------------------------------------------------

    def file_error(self, message: str) -> None:
        self.errors.append(f"{self.name}: {message}")

    def run(self, user) -> None:
        self.user = user
        self.error_count_before = len(self.errors)
        data = self.data
        for key in KEY_ORDER:
            records = data.get(key)
            if records is None:
                continue
            if not isinstance(records, list):
                self.file_error(f"{key}: expected a list of records.")
                continue
            self.result.counts[key] = Counts()
            handler = getattr(self, f"load_{key}")
            handler(self.records(key, records))
        if len(self.errors) == self.error_count_before:
            self.record_load()

    def parse(self) -> None:
        """Read the file and check its top level; record errors, touch no database."""
        try:
            data = yaml.load(self.raw, Loader=_SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or "cannot be parsed"
            self.file_error(f"not valid YAML: {problem}{where}.")
            return None
        except UnicodeDecodeError:
            self.file_error("not valid YAML: the file is not UTF-8 text.")
            return None
        except RecursionError:
            self.file_error(bounds.nesting_too_deep())
            return None
        if bounds.nested_deeper_than(data, bounds.max_nesting()):
            self.file_error(bounds.nesting_too_deep())
            return None
        if not isinstance(data, dict):
            self.file_error(f"expected a mapping with 'format: {FORMAT}' at the top level.")
            return None
        fmt = data.get("format")
        if fmt is None:
            self.file_error(f"format: missing; a scenario file starts with 'format: {FORMAT}'.")
            return None
        if fmt != FORMAT:
            self.file_error(f"format: unsupported format {fmt!r}; expected {FORMAT!r}.")
            return None
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                self.file_error(
                    f"{key}: unknown key; expected one of: {', '.join(TOP_LEVEL_KEYS)}."
                )
        as_of = data.get("as_of")
        if isinstance(as_of, str):
            try:
                as_of = datetime.date.fromisoformat(as_of)
            except ValueError:
                as_of = _MISSING
        if as_of is _MISSING or not (as_of is None or isinstance(as_of, datetime.date)):
            self.file_error("as_of: expected an ISO date such as 2026-06-30.")
            as_of = None
        try:
            bounds.validate_day(as_of)
        except ValidationError as refused:
            self.file_error(f"as_of: {refused.messages[0]}")
            as_of = None
        self.result.as_of = as_of
        self.data = data

    def records(self, key: str, items: list) -> list[tuple[int, dict]]:
        good = []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                good.append((index, item))
            else:
                self.file_error(f"{key}[{index}]: expected a mapping of fields.")
        return good

    def record(
        self,
        key: str,
        index: int | str,
        data: dict,
        natural: Sequence[str],
        fields: Sequence[str],
        parent: _Record | None = None,
    ) -> _Record:
        prefix = f"{parent.where}: " if parent else f"{self.name}: "
        rec = _Record(self.errors, prefix, key, index, data, natural)
        allowed = (*natural, *fields, *PROVENANCE)
        if key in RELEASABLE_KEYS:
            allowed = (*allowed, RELEASABLE_TO)
        for name in data:
            if name not in allowed:
                rec.error(str(name), f"unknown field; expected one of: {', '.join(allowed)}.")
        return rec

    def record_load(self) -> None:
        result = self.result
        if not result.changed and ScenarioLoad.objects.filter(sha256=result.sha256).exists():
            return
        total = result.total
        ScenarioLoad.objects.create(
            file_name=self.name[:500],
            format=FORMAT,
            as_of=result.as_of,
            sha256=result.sha256,
            loaded_by=self.user,
            created=total.created,
            updated=total.updated,
            unchanged=total.unchanged,
        )
        result.recorded = True

    # -- reading fields ------------------------------------------------------------------

    def convert(self, rec: _Record, model: type[models.Model], name: str, value: Any) -> Any:
        """The value of one scalar field as the model field's Python type, or _MISSING."""
        if isinstance(value, list | dict):
            rec.error(name, "expected a single value, not a list or mapping.")
            return _MISSING
        if value is None:
            return None
        model_field = concrete_field(model, name)
        if isinstance(model_field, models.DateField) and not isinstance(value, datetime.date | str):
            rec.error(name, "expected an ISO date such as 2026-06-30.")
            return _MISSING
        if isinstance(model_field, models.DecimalField) and isinstance(value, float):
            # The shortest repr is the number as written: 33.3, not 33.2999999999999971578...
            value = Decimal(repr(value))
        try:
            return model_field.to_python(value)
        except ValidationError as exc:
            rec.error(name, " ".join(exc.messages))
        except (TypeError, ValueError, ArithmeticError):
            rec.error(name, f"{value!r} is not a valid value.")
        return _MISSING

    def required(self, rec: _Record, model: type[models.Model], name: str) -> Any:
        value = rec.data.get(name)
        if value is None or value == "":
            rec.error(name, "This field is required.")
            return None
        converted = self.convert(rec, model, name, value)
        return None if converted is _MISSING else converted

    def values(self, rec: _Record, model: type[models.Model], names: Iterable[str]) -> dict:
        """The stated scalar fields among ``names``, converted; omitted ones are not returned."""
        values = {}
        for name in names:
            if name in rec.data:
                converted = self.convert(rec, model, name, rec.data[name])
                if converted is not _MISSING:
                    values[name] = converted
        return values

    def provenance(
        self, rec: _Record, model: type[models.Model], inherited: dict | None = None
    ) -> dict:
        data = rec.data
        if inherited is not None and not any(name in data for name in PROVENANCE):
            return dict(inherited)
        source = self.convert(rec, model, "source", data.get("source"))
        source = "" if source in (None, _MISSING) else source
        confidence = data.get("confidence")
        if confidence is None:
            confidence = Confidence.REPORTED if source else Confidence.ILLUSTRATIVE
        elif not isinstance(confidence, str):
            rec.error("confidence", f"expected one of: {', '.join(Confidence.values)}.")
        return {"source": source, "confidence": confidence}

    def ref(
        self,
        rec: _Record,
        name: str,
        model: type[M],
        lookup: dict,
        what: str,
        *,
        required: bool = True,
    ) -> M | None:
        """Resolve a reference by natural key; report it on ``name`` when it matches nothing."""
        if any(value is None for value in lookup.values()):
            if required and not rec.blocked:
                rec.error(name, "This field is required.")
            return None
        if any(isinstance(value, list | dict) for value in lookup.values()):
            rec.error(name, "expected a single value, not a list or mapping.")
            return None
        lookup = {
            key: value if isinstance(value, models.Model) else str(value)
            for key, value in lookup.items()
        }
        cache_key = self.cache_key(model, lookup)
        if cache_key in self.cache:
            return cast(M, self.cache[cache_key])  # keyed by model and natural key
        found = self.find(model, lookup)
        if found is None:
            if cache_key in self.failed_keys:
                rec.blocked = True
            else:
                rec.error(name, f"unknown {what}.")
            return None
        self.cache[cache_key] = found
        return found

    def find(self, model: type[M], lookup: dict) -> M | None:
        """The stored record with this natural key, if the nation the file is applied for
        may see it."""
        return released_to(model._default_manager.filter(**lookup), self.seen_by).first()

    def hide_unseen(self, model: type[models.Model], lookup: dict) -> None:
        """Delete the hidden record holding this natural key, so the file adds its own as for
        a key that does not exist (``as_seen_by_user`` only: the caller rolls back)."""
        if self.seen_by is not None:
            # Protected by other records: the save that follows reports the key as taken.
            with contextlib.suppress(models.ProtectedError, models.RestrictedError):
                model._default_manager.filter(**lookup).delete()

    @staticmethod
    def cache_key(model: type[models.Model], lookup: dict) -> tuple:
        parts = tuple(
            sorted(
                (key, value.pk if isinstance(value, models.Model) else value)
                for key, value in lookup.items()
            )
        )
        return (model, parts)

    def nation(self, rec: _Record, name: str, *, required: bool = True) -> Nation | None:
        return self.ref(
            rec,
            name,
            Nation,
            {"code": rec.data.get(name)},
            f"nation {_show(rec.data.get(name))!r}",
            required=required,
        )

    def organisation(
        self, rec: _Record, name: str, *, required: bool = True
    ) -> Organisation | None:
        value = rec.data.get(name)
        return self.ref(
            rec,
            name,
            Organisation,
            {"name": value},
            f"organisation {_show(value)!r}",
            required=required,
        )

    def programme(self, rec: _Record, name: str = "programme") -> Programme | None:
        value = rec.data.get(name)
        return self.ref(rec, name, Programme, {"code": value}, f"programme {_show(value)!r}")

    # -- writing -------------------------------------------------------------------------

    def upsert(
        self,
        rec: _Record,
        counts_key: str,
        model: type[M],
        lookup: dict,
        values: dict,
        seen: dict,
    ) -> tuple[M | None, str | None]:
        """Create or update the record with this natural key; save only when something differs.

        A stated ``releasable_to`` is checked first and set after the save.
        """
        releasable = self.releasable_to(rec, model)
        cache_key = self.cache_key(model, lookup) if rec.ok else None
        if cache_key is not None:
            if cache_key in seen:
                rec.error(
                    None, f"the same natural key as {seen[cache_key]}; give each record once."
                )
            else:
                seen[cache_key] = rec.label
        if not rec.ok:
            if cache_key is None:
                self.remember_failure(model, lookup)
            else:
                self.failed_keys.add(cache_key)
            return None, None
        assert cache_key is not None  # computed while the record was sound
        found = self.find(model, lookup)
        created = found is None
        if found is None:
            self.hide_unseen(model, lookup)
        instance = model(**lookup) if found is None else found
        before = None if found is None else self.snapshot(found)
        for name, value in values.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                rec.error(name, " ".join(messages))
            self.failed_keys.add(cache_key)
            return None, None
        release_error = releasable is not None and releasable_nations_error(
            self.user, {nation.pk for nation in releasable}, instance
        )
        if release_error:
            rec.error(RELEASABLE_TO, release_error)
            self.failed_keys.add(cache_key)
            return None, None
        if created:
            outcome = CREATED
        elif self.snapshot(instance) != before:
            outcome = UPDATED
        else:
            outcome = UNCHANGED
        if outcome != UNCHANGED and not self.save(rec, instance):
            self.failed_keys.add(cache_key)
            return None, None
        self.cache[cache_key] = instance
        self.result.counts.setdefault(counts_key, Counts()).add(outcome)
        if releasable is not None and self.set_m2m(instance, RELEASABLE_TO, releasable):
            self.bump(counts_key, outcome)
            if outcome == UNCHANGED:
                outcome = UPDATED
        return instance, outcome

    def releasable_to(self, rec: _Record, model: type[models.Model]) -> list[Nation] | None:
        """The nations the record states it is released to, or None when it does not say."""
        if RELEASABLE_TO not in rec.data or model not in RELEASE_PATHS:
            return None
        codes = rec.data[RELEASABLE_TO]
        if codes is None:
            codes = []
        if not isinstance(codes, list):
            rec.error(RELEASABLE_TO, "expected a list of nation codes.")
            return None
        nations: list[Nation] = []
        for code in codes:
            found = self.ref(rec, RELEASABLE_TO, Nation, {"code": code}, f"nation {_show(code)!r}")
            if found is not None and found not in nations:
                nations.append(found)
        message = releasable_nations_error(self.user, {nation.pk for nation in nations})
        if message:
            rec.error(RELEASABLE_TO, message)
        return nations

    def remember_failure(self, model: type[models.Model], lookup: dict) -> None:
        if all(
            value is not None and not isinstance(value, list | dict) for value in lookup.values()
        ):
            self.failed_keys.add(self.cache_key(model, lookup))

    @staticmethod
    def snapshot(instance: models.Model) -> dict:
        return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}

    def stamp(self, instance: models.Model) -> None:
        # simple_history reads this attribute, which it leaves undeclared, at the next save.
        instance._change_reason = self.reason  # type: ignore[attr-defined]
        if self.user is not None:
            instance._history_user = self.user

    def save(self, rec: _Record, instance: models.Model) -> bool:
        self.stamp(instance)
        try:
            with transaction.atomic():
                instance.save()
        except DatabaseError as exc:
            rec.error(None, f"the database refused the record: {exc}".strip())
            return False
        return True

    def set_m2m(self, instance: models.Model, name: str, members: Sequence[models.Model]) -> bool:
        """Set a many-to-many field when its members differ; True when it changed."""
        manager = getattr(instance, name)
        wanted = {member.pk for member in members}
        if set(manager.values_list("pk", flat=True)) == wanted:
            return False
        self.stamp(instance)
        manager.set(members)
        return True

    def bump(self, key: str, outcome: str) -> None:
        """Count a record whose only change was a many-to-many set as updated."""
        if outcome == UNCHANGED:
            counts = self.result.counts[key]
            counts.unchanged -= 1
            counts.updated += 1

    # -- the keys, in load order ---------------------------------------------------------

    def load_nations(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        for index, data in items:
            rec = self.record("nations", index, data, ("code",), ("name",))
            code = self.required(rec, Nation, "code")
            values = self.values(rec, Nation, ("name",)) | self.provenance(rec, Nation)
            self.upsert(rec, "nations", Nation, {"code": code}, values, seen)

    def load_organisations(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        for index, data in items:
            rec = self.record(
                "organisations", index, data, ("name",), ("short_name", "nation", "kind")
            )
            name = self.required(rec, Organisation, "name")
            values = self.values(rec, Organisation, ("short_name", "kind"))
            if "nation" in data:
                values["nation"] = self.nation(rec, "nation", required=False)
            values |= self.provenance(rec, Organisation)
            self.upsert(rec, "organisations", Organisation, {"name": name}, values, seen)

    def load_ownership_stakes(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        ventures: dict[int, Organisation] = {}
        incomplete: set[str] = set()
        for index, data in items:
            rec = self.record("ownership_stakes", index, data, ("venture", "owner"), ("percent",))
            venture = self.organisation(rec, "venture")
            owner = self.organisation(rec, "owner")
            values = self.values(rec, OwnershipStake, ("percent",))
            values |= self.provenance(rec, OwnershipStake)
            values["siblings_checked_as_a_set"] = True  # totals are checked below
            lookup = {"venture": venture, "owner": owner}
            instance, _ = self.upsert(rec, "ownership_stakes", OwnershipStake, lookup, values, seen)
            if instance is not None:
                ventures.setdefault(instance.venture_id, instance.venture)
            else:
                incomplete.add(str(data.get("venture")))
        for venture in ventures.values():
            if venture.name in incomplete:
                continue  # a stake of it failed above: its total says nothing more
            total = OwnershipStake.objects.filter(venture=venture).aggregate(total=Sum("percent"))[
                "total"
            ] or Decimal("0")
            message = stake_total_error(venture.name, total)
            if message:
                self.file_error(f"ownership_stakes (venture {venture.name}): percent: {message}")

    def load_programmes(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        fields = ("name", "status", "currency", "started_on", "ended_on")
        loaded = []
        for index, data in items:
            rec = self.record(
                "programmes", index, data, ("code",), (*fields, "predecessors", "thresholds")
            )
            code = self.required(rec, Programme, "code")
            provenance = self.provenance(rec, Programme)
            values = self.values(rec, Programme, fields) | provenance
            instance, outcome = self.upsert(
                rec, "programmes", Programme, {"code": code}, values, seen
            )
            if instance is not None and outcome is not None:
                loaded.append((rec, instance, outcome, provenance))
        for rec, instance, outcome, provenance in loaded:
            if "predecessors" in rec.data:
                self.load_predecessors(rec, instance, outcome)
            if "thresholds" in rec.data:
                self.load_thresholds(rec, instance, provenance)

    def load_predecessors(self, rec: _Record, programme: Programme, outcome: str) -> None:
        codes = rec.data["predecessors"]
        if codes is None:
            codes = []
        if not isinstance(codes, list):
            rec.error("predecessors", "expected a list of programme codes.")
            return
        members = []
        for code in codes:
            if code == programme.code:
                rec.error("predecessors", "a programme cannot be its own predecessor.")
                continue
            found = self.ref(
                rec, "predecessors", Programme, {"code": code}, f"programme {_show(code)!r}"
            )
            if found is not None:
                members.append(found)
        if rec.ok and self.set_m2m(programme, "predecessors", members):
            self.bump("programmes", outcome)

    def load_thresholds(self, rec: _Record, programme: Programme, provenance: dict) -> None:
        thresholds = rec.data["thresholds"]
        if thresholds is None:
            return
        if not isinstance(thresholds, dict) or not all(
            isinstance(params, dict) for params in thresholds.values()
        ):
            rec.error("thresholds", "expected a mapping of rule to {parameter: value}.")
            return
        self.result.counts.setdefault("thresholds", Counts())
        seen: dict = {}
        for rule, params in thresholds.items():
            for parameter, value in params.items():
                sub = self.record("thresholds", f"{rule}.{parameter}", {}, (), (), parent=rec)
                if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
                    sub.error("value", f"{value!r} is not a number.")
                lookup = {"programme": programme, "rule": str(rule), "parameter": str(parameter)}
                values = {"value": value} | provenance
                if sub.ok:
                    values["value"] = self.convert(sub, ThresholdOverride, "value", value)
                self.upsert(sub, "thresholds", ThresholdOverride, lookup, values, seen)

    def load_participations(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        programmes: dict = {}
        fields = ("role", "agreed_share", "joined_on", "left_on")
        for index, data in items:
            rec = self.record("participations", index, data, ("programme", "nation"), fields)
            lookup = {"programme": self.programme(rec), "nation": self.nation(rec, "nation")}
            values = self.values(rec, Participation, fields) | self.provenance(rec, Participation)
            values["siblings_checked_as_a_set"] = True  # totals are checked below
            instance, _ = self.upsert(rec, "participations", Participation, lookup, values, seen)
            if instance is not None:
                programmes.setdefault(instance.programme_id, instance.programme)
        totals = (
            Participation.objects.filter(programme_id__in=programmes)
            .values("programme_id")
            .annotate(total=Sum("agreed_share"))
        )
        for row in totals:
            if row["total"] is not None and row["total"] > 100:
                code = programmes[row["programme_id"]].code
                self.file_error(
                    f"participations (programme {code}): agreed_share: agreed shares sum to "
                    f"{row['total']}%, over 100%."
                )

    def load_contributions(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        natural = ("programme", "nation", "period_start")
        for index, data in items:
            rec = self.record("contributions", index, data, natural, ("period_end", "amount"))
            lookup = {
                "programme": self.programme(rec),
                "nation": self.nation(rec, "nation"),
                "period_start": self.required(rec, Contribution, "period_start"),
            }
            values = self.values(rec, Contribution, ("period_end", "amount"))
            values |= self.provenance(rec, Contribution)
            self.upsert(rec, "contributions", Contribution, lookup, values, seen)

    def load_work_packages(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        for index, data in items:
            rec = self.record(
                "work_packages",
                index,
                data,
                ("programme", "code"),
                ("name", "domain", "lead_organisation"),
            )
            lookup = {
                "programme": self.programme(rec),
                "code": self.required(rec, WorkPackage, "code"),
            }
            values = self.values(rec, WorkPackage, ("name", "domain"))
            if "lead_organisation" in data:
                values["lead_organisation"] = self.organisation(
                    rec, "lead_organisation", required=False
                )
            values |= self.provenance(rec, WorkPackage)
            self.upsert(rec, "work_packages", WorkPackage, lookup, values, seen)

    def load_workshare(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        natural = ("programme", "work_package", "organisation", "period_start")
        for index, data in items:
            rec = self.record("workshare", index, data, natural, ("period_end", "amount"))
            programme = self.programme(rec)
            work_package = None
            if programme is not None:
                code = data.get("work_package")
                work_package = self.ref(
                    rec,
                    "work_package",
                    WorkPackage,
                    {"programme": programme, "code": code},
                    f"work package {_show(code)!r} of {programme.code}",
                )
            lookup = {
                "work_package": work_package,
                "organisation": self.organisation(rec, "organisation"),
                "period_start": self.required(rec, WorkshareAllocation, "period_start"),
            }
            values = self.values(rec, WorkshareAllocation, ("period_end", "amount"))
            values |= self.provenance(rec, WorkshareAllocation)
            self.upsert(rec, "workshare", WorkshareAllocation, lookup, values, seen)

    def load_decision_bodies(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        for index, data in items:
            rec = self.record(
                "decision_bodies",
                index,
                data,
                ("programme", "name"),
                ("level", "voting_rule", "seats"),
            )
            lookup = {
                "programme": self.programme(rec),
                "name": self.required(rec, DecisionBody, "name"),
            }
            provenance = self.provenance(rec, DecisionBody)
            values = self.values(rec, DecisionBody, ("level", "voting_rule")) | provenance
            body, _ = self.upsert(rec, "decision_bodies", DecisionBody, lookup, values, seen)
            if body is not None and "seats" in data:
                self.load_nested(rec, "seats", body, provenance)

    def load_nested(self, rec: _Record, key: str, parent: models.Model, provenance: dict) -> None:
        """Seats of a body or votes of a decision: upsert those listed, leave the others alone."""
        items = rec.data[key]
        if items is None:
            return
        if not isinstance(items, list):
            rec.error(key, "expected a list of records.")
            return
        self.result.counts.setdefault(key, Counts())
        if key == "seats":
            model: type[Seat] | type[Vote] = Seat
            fields: tuple[str, ...] = ("votes", "veto", "chair")
            parent_field = "body"
        else:
            model, parent_field, fields = Vote, "decision", ("position",)
        seen: dict = {}
        for index, data in enumerate(items):
            if not isinstance(data, dict):
                rec.error(key, f"{key}[{index}] is not a mapping of fields.")
                continue
            sub = self.record(key, index, data, ("nation",), fields, parent=rec)
            lookup = {parent_field: parent, "nation": self.nation(sub, "nation")}
            values = self.values(sub, model, fields) | self.provenance(sub, model, provenance)
            self.upsert(sub, key, model, lookup, values, seen)

    def load_leadership_roles(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        fields = ("domain", "weight", "started_on", "ended_on")
        for index, data in items:
            rec = self.record(
                "leadership_roles",
                index,
                data,
                ("programme", "title"),
                (*fields, "nation", "organisation"),
            )
            lookup = {
                "programme": self.programme(rec),
                "title": self.required(rec, LeadershipRole, "title"),
            }
            values = self.values(rec, LeadershipRole, fields)
            if "nation" in data:
                values["nation"] = self.nation(rec, "nation")
            if "organisation" in data:
                values["organisation"] = self.organisation(rec, "organisation", required=False)
            values |= self.provenance(rec, LeadershipRole)
            self.upsert(rec, "leadership_roles", LeadershipRole, lookup, values, seen)

    def load_decisions(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        fields = ("decided_on", "outcome")
        for index, data in items:
            rec = self.record(
                "decisions",
                index,
                data,
                ("programme", "body", "title"),
                (*fields, "proposer", "votes"),
            )
            programme = self.programme(rec)
            body = None
            if programme is not None:
                name = data.get("body")
                body = self.ref(
                    rec,
                    "body",
                    DecisionBody,
                    {"programme": programme, "name": name},
                    f"decision body {_show(name)!r} of {programme.code}",
                )
            lookup = {"body": body, "title": self.required(rec, Decision, "title")}
            provenance = self.provenance(rec, Decision)
            values = self.values(rec, Decision, fields)
            if "proposer" in data:
                values["proposer"] = self.nation(rec, "proposer", required=False)
            values |= provenance
            decision, _ = self.upsert(rec, "decisions", Decision, lookup, values, seen)
            if decision is not None and "votes" in data:
                self.load_nested(rec, "votes", decision, provenance)

    def load_tech_transfers(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        fields = (
            "technology_area",
            "planned_on",
            "achieved_on",
            "status",
            "access_level",
            "export_control",
            "weight",
        )
        for index, data in items:
            rec = self.record(
                "tech_transfers",
                index,
                data,
                ("programme", "title"),
                (*fields, "provider", "recipient"),
            )
            lookup = {
                "programme": self.programme(rec),
                "title": self.required(rec, TechTransferMilestone, "title"),
            }
            values = self.values(rec, TechTransferMilestone, fields)
            for name in ("provider", "recipient"):
                if name in data:
                    values[name] = self.organisation(rec, name)
            values |= self.provenance(rec, TechTransferMilestone)
            self.upsert(rec, "tech_transfers", TechTransferMilestone, lookup, values, seen)

    def load_agreements(self, items: list[tuple[int, dict]]) -> None:
        seen: dict = {}
        fields = ("kind", "signed_on", "ended_on")
        for index, data in items:
            rec = self.record("agreements", index, data, ("name",), (*fields, "nations"))
            name = self.required(rec, Agreement, "name")
            nations = self.agreement_nations(rec)
            if nations is None and name and not Agreement.objects.filter(name=name).exists():
                rec.error(
                    "nations", "This field is required: list the codes of two or more nations."
                )
            values = self.values(rec, Agreement, fields) | self.provenance(rec, Agreement)
            agreement, outcome = self.upsert(
                rec, "agreements", Agreement, {"name": name}, values, seen
            )
            if (
                agreement is not None
                and outcome is not None
                and nations is not None
                and self.set_m2m(agreement, "nations", nations)
            ):
                self.bump("agreements", outcome)

    def agreement_nations(self, rec: _Record) -> list[Nation] | None:
        """The agreement's nations, or None when the record does not list them."""
        codes = rec.data.get("nations", _MISSING)
        if codes is _MISSING:
            return None
        if not isinstance(codes, list):
            rec.error("nations", "expected a list of nation codes.")
            return None
        nations: list[Nation] = []
        for code in codes:
            found = self.ref(rec, "nations", Nation, {"code": code}, f"nation {_show(code)!r}")
            if found is not None and found not in nations:
                nations.append(found)
        if rec.ok:
            message = agreement_nations_error(len(nations))
            if message:
                rec.error("nations", message)
        return nations
