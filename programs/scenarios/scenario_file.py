"""One scenario file being loaded: its records read, checked and upserted by natural key."""

import hashlib
from collections.abc import Sequence
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction

from programs.access import RELEASE_PATHS, releasable_nations_error
from programs.models import Nation, ScenarioLoad
from programs.scenarios.document import (
    FORMAT,
    PROVENANCE,
    RELEASABLE_KEYS,
    RELEASABLE_TO,
    read_document,
)
from programs.scenarios.natural_keys import M, NaturalKeys
from programs.scenarios.records import Record, show
from programs.scenarios.results import CREATED, UNCHANGED, UPDATED, Counts, FileResult


class ScenarioFile:
    """One file of a scenario call being loaded: its content, what it did and the errors found."""

    def __init__(self, name: str, raw: bytes, errors: list[str]) -> None:
        self.name = name
        self.raw = raw
        self.user = None
        self.data: dict = {}
        self.errors = errors
        self.reason = f"scenario {Path(name).name}"
        self.result = FileResult(name=name, sha256=hashlib.sha256(raw).hexdigest(), as_of=None)
        self.keys = NaturalKeys()
        self.error_count_before = len(errors)

    def parse(self) -> None:
        """Read the file and check its top level; record errors, touch no database."""
        self.data, self.result.as_of = read_document(self.raw, self.file_error)

    def file_error(self, message: str) -> None:
        self.errors.append(f"{self.name}: {message}")

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
        parent: Record | None = None,
    ) -> Record:
        prefix = f"{parent.where}: " if parent else f"{self.name}: "
        rec = Record(self.errors, prefix, key, index, data, natural)
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

    def upsert(
        self,
        rec: Record,
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
        cache_key = self.keys.cache_key(model, lookup) if rec.ok else None
        if cache_key is not None:
            if cache_key in seen:
                rec.error(
                    None, f"the same natural key as {seen[cache_key]}; give each record once."
                )
            else:
                seen[cache_key] = rec.label
        if not rec.ok:
            if cache_key is None:
                self.keys.remember_failure(model, lookup)
            else:
                self.keys.failed_keys.add(cache_key)
            return None, None
        assert cache_key is not None  # computed while the record was sound
        found = self.keys.find(model, lookup)
        created = found is None
        if found is None:
            self.keys.hide_unseen(model, lookup)
        instance = model(**lookup) if found is None else found
        before = None if found is None else self.snapshot(found)
        for name, value in values.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                rec.error(name, " ".join(messages))
            self.keys.failed_keys.add(cache_key)
            return None, None
        release_error = releasable is not None and releasable_nations_error(
            self.user, {nation.pk for nation in releasable}, instance
        )
        if release_error:
            rec.error(RELEASABLE_TO, release_error)
            self.keys.failed_keys.add(cache_key)
            return None, None
        if created:
            outcome = CREATED
        elif self.snapshot(instance) != before:
            outcome = UPDATED
        else:
            outcome = UNCHANGED
        if outcome != UNCHANGED and not self.save(rec, instance):
            self.keys.failed_keys.add(cache_key)
            return None, None
        self.keys.cache[cache_key] = instance
        self.result.counts.setdefault(counts_key, Counts()).add(outcome)
        if releasable is not None and self.set_m2m(instance, RELEASABLE_TO, releasable):
            self.bump(counts_key, outcome)
            if outcome == UNCHANGED:
                outcome = UPDATED
        return instance, outcome

    def releasable_to(self, rec: Record, model: type[models.Model]) -> list[Nation] | None:
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
            found = self.keys.ref(
                rec, RELEASABLE_TO, Nation, {"code": code}, f"nation {show(code)!r}"
            )
            if found is not None and found not in nations:
                nations.append(found)
        message = releasable_nations_error(self.user, {nation.pk for nation in nations})
        if message:
            rec.error(RELEASABLE_TO, message)
        return nations

    @staticmethod
    def snapshot(instance: models.Model) -> dict:
        return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}

    def stamp(self, instance: models.Model) -> None:
        # simple_history reads this attribute, which it leaves undeclared, at the next save.
        instance._change_reason = self.reason  # type: ignore[attr-defined]
        if self.user is not None:
            instance._history_user = self.user

    def save(self, rec: Record, instance: models.Model) -> bool:
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
