"""Natural keys: how a scenario record finds the records it names (SPEC §4)."""

import contextlib
from typing import TypeVar, cast

from django.db import models

from programs.access import released_to
from programs.models import Nation, Organisation, Programme
from programs.scenarios.records import Record, show

M = TypeVar("M", bound=models.Model)


class NaturalKeys:
    """The records a file's load has found or written, by model and natural key.

    A reference resolves once per load; a key whose record failed is remembered, so the records
    that refer to it are blocked instead of reporting it unknown a second time.
    """

    def __init__(self) -> None:
        self.cache: dict[tuple, models.Model] = {}
        self.failed_keys: set[tuple] = set()
        #: The nation whose view of the data the file is applied to (None: all of it).
        self.seen_by: int | None = None

    def ref(
        self,
        rec: Record,
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

    def remember_failure(self, model: type[models.Model], lookup: dict) -> None:
        if all(
            value is not None and not isinstance(value, list | dict) for value in lookup.values()
        ):
            self.failed_keys.add(self.cache_key(model, lookup))

    def nation(self, rec: Record, name: str, *, required: bool = True) -> Nation | None:
        return self.ref(
            rec,
            name,
            Nation,
            {"code": rec.data.get(name)},
            f"nation {show(rec.data.get(name))!r}",
            required=required,
        )

    def organisation(self, rec: Record, name: str, *, required: bool = True) -> Organisation | None:
        value = rec.data.get(name)
        return self.ref(
            rec,
            name,
            Organisation,
            {"name": value},
            f"organisation {show(value)!r}",
            required=required,
        )

    def programme(self, rec: Record, name: str = "programme") -> Programme | None:
        value = rec.data.get(name)
        return self.ref(rec, name, Programme, {"code": value}, f"programme {show(value)!r}")
