"""The change log: every historical row of the tracked models, newest first, in one list.

django-simple-history keeps one historical table per model. The log reads them as one
``UNION ALL`` of the same few columns (model, version, record, when, who, type, reason),
filtered in each part and ordered and paged by the database, so a page costs the same queries
whatever the size of the history: the count, the page, then for the models on the page their
rows with the previous version of each (two queries a model), the users, and the records named
by changed references (one query a related model).

Releasability (``programs.access``): for a restricted user each part keeps only the versions of
records released to them now, so a hidden record's changes, and a deleted record's (whose
marking is gone with it), are not listed or counted. A reference in a visible record's
difference to a hidden record reads "(not releasable to you)".
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db.models import CharField, Model, OuterRef, Q, QuerySet, Subquery, Value
from django.urls import reverse

from programs import models as m
from programs.access import RELEASE_PATHS, is_restricted, released

HIDDEN = "(not releasable to you)"
TYPES = {"+": "created", "~": "changed", "-": "deleted"}
COLUMNS = (
    "model_name",
    "history_id",
    "id",
    "history_date",
    "history_type",
    "history_change_reason",
    "history_user_id",
)
#: Fields of a historical row that are not the record's own.
HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_type",
    "history_change_reason",
    "history_user",
}
#: A record's own name on its historical rows, the first of these it has.
LABEL_FIELDS = ("code", "title", "name")

#: The models with a history: every tracked record, and nations.
HistoryModel = type[m.Tracked] | type[m.Nation]
#: One historical row (a model of simple_history's making, which has no types).
Version = Any


@dataclass(frozen=True)
class Source:
    """A tracked model in the log: where its historical rows name a programme and nations."""

    model: HistoryModel
    programme: str | None = None
    nations: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return cast(str, self.model._meta.model_name)  # set on every model class


SOURCES: tuple[Source, ...] = (
    Source(m.Programme, "id"),
    Source(m.Participation, "programme_id", ("nation_id",)),
    Source(m.Contribution, "programme_id", ("nation_id",)),
    Source(m.WorkPackage, "programme_id", ("lead_organisation__nation_id",)),
    Source(m.WorkshareAllocation, "work_package__programme_id", ("organisation__nation_id",)),
    Source(m.LeadershipRole, "programme_id", ("nation_id",)),
    Source(m.ThresholdOverride, "programme_id"),
    Source(m.DecisionBody, "programme_id"),
    Source(m.Seat, "body__programme_id", ("nation_id",)),
    Source(m.Decision, "body__programme_id", ("proposer_id",)),
    Source(m.Vote, "decision__body__programme_id", ("nation_id",)),
    Source(
        m.TechTransferMilestone, "programme_id", ("provider__nation_id", "recipient__nation_id")
    ),
    Source(m.Organisation, None, ("nation_id",)),
    Source(m.OwnershipStake, None, ("venture__nation_id", "owner__nation_id")),
    Source(m.Agreement, None, ("nations",)),
    Source(m.Nation, None, ("id",)),
)
SOURCES_BY_NAME = {source.name: source for source in SOURCES}


def model_choices() -> list[tuple[str, str]]:
    return [(source.name, str(source.model._meta.verbose_name)) for source in SOURCES]


@dataclass(frozen=True)
class ChangeFilters:
    """What the analyst narrows the log to; every field optional."""

    programme: m.Programme | None = None
    nation: m.Nation | None = None
    model: str = ""
    user: Any = None
    reason: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any
    #: The model a reference points to (its values are ids until named).
    relation: type[Model] | None = None


@dataclass
class Change:
    """One historical row as the log shows it."""

    model_name: str
    model_label: str
    history_id: int
    object_id: int
    at: datetime.datetime
    kind: str
    reason: str
    user: str
    record: str = ""
    history_url: str = ""
    changes: list[FieldChange] = field(default_factory=list)


def _nation_q(source: Source, nation: m.Nation) -> Q:
    if source.nations == ("nations",):
        return Q(
            id__in=m.Agreement.nations.through.objects.filter(nation=nation).values("agreement_id")
        )
    query = Q()
    for path in source.nations:
        query |= Q(**{path: nation.pk})
    return query


def _part(source: Source, filters: ChangeFilters, user: Any) -> QuerySet | None:
    """The source's historical rows matching the filters, as the log's columns; None when
    none can match (a programme asked for a model outside programmes)."""
    if filters.model and filters.model != source.name:
        return None
    if filters.nation is not None and not source.nations:
        return None
    rows = source.model.history.all()
    if filters.programme is not None:
        if source.programme is None:  # a model outside programmes
            return None
        rows = rows.filter(**{source.programme: filters.programme.pk})
    if filters.nation is not None:
        rows = rows.filter(_nation_q(source, filters.nation))
    if filters.user is not None:
        rows = rows.filter(history_user_id=filters.user.pk)
    if filters.reason:
        rows = rows.filter(history_change_reason__icontains=filters.reason)
    if filters.since:
        rows = rows.filter(history_date__date__gte=filters.since)
    if filters.until:
        rows = rows.filter(history_date__date__lte=filters.until)
    if is_restricted(user) and source.model in RELEASE_PATHS:
        rows = rows.filter(id__in=released(source.model._default_manager.all(), user).values("pk"))
    return rows.annotate(model_name=Value(source.name, output_field=CharField())).values(*COLUMNS)


def change_rows(filters: ChangeFilters, user: Any) -> QuerySet:
    """Every historical row matching ``filters`` that ``user`` may see, newest first, as dicts
    of :data:`COLUMNS` (page it by slicing: the database orders, counts and cuts)."""
    parts = [part for source in SOURCES if (part := _part(source, filters, user)) is not None]
    if not parts:
        return (
            m.Nation.history.none()
            .annotate(model_name=Value("", output_field=CharField()))
            .values(*COLUMNS)
        )
    first, *others = parts
    combined = first.union(*others, all=True) if others else first
    return combined.order_by("-history_date", "-history_id")


def _own_fields(model: HistoryModel) -> list:
    return [
        f
        for f in model.history.model._meta.concrete_fields
        if f.name not in HISTORY_FIELDS and f.name != "id"
    ]


def _label(version: Version) -> str:
    for name in LABEL_FIELDS:
        value = getattr(version, name, None)
        if value:
            return str(value)
    return f"#{version.id}"


def _versions(source: Source, history_ids: list[int]) -> dict[int, tuple[Version, Version | None]]:
    """Each version of the page with the version before it, in two queries."""
    history = source.model.history
    previous = (
        history.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date"))
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    versions = list(
        history.filter(history_id__in=history_ids).annotate(previous_id=Subquery(previous))
    )
    before = history.in_bulk(
        [v.previous_id for v in versions if v.previous_id], field_name="history_id"
    )
    return {v.history_id: (v, before.get(v.previous_id)) for v in versions}


def _differences(source: Source, version: Version, before: Version | None) -> list[FieldChange]:
    if version.history_type == "-":
        return []
    changes = []
    for f in _own_fields(source.model):
        new = getattr(version, f.attname)
        old = getattr(before, f.attname) if before is not None else None
        if before is None and new in (None, ""):
            continue
        if before is not None and old == new:
            continue
        relation = f.related_model if f.is_relation else None
        changes.append(FieldChange(str(f.verbose_name), old, new, relation))
    return changes


def _name_references(changes: list[FieldChange], user: Any) -> None:
    """Replace reference ids by the records' names (one query a related model), or by
    :data:`HIDDEN` for a record the user may not see."""
    wanted: dict[type[Model], set] = defaultdict(set)
    for change in changes:
        if change.relation is not None:
            wanted[change.relation].update(v for v in (change.old, change.new) if v is not None)
    names: dict[type[Model], dict] = {}
    for related, ids in wanted.items():
        rows = related._default_manager.filter(pk__in=ids)
        if related in RELEASE_PATHS:
            rows = released(rows, user)
        fks = [f.name for f in related._meta.concrete_fields if f.is_relation]
        names[related] = {obj.pk: str(obj) for obj in rows.select_related(*fks)}
    for change in changes:
        if change.relation is None:
            continue
        known = names[change.relation]
        change.old, change.new = (
            None if value is None else known.get(value, HIDDEN)
            for value in (change.old, change.new)
        )


def changes_on_page(rows: list[dict], user: Any) -> list[Change]:
    """The page's rows with their records' names and field-by-field differences."""
    by_model: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_model[row["model_name"]].append(row["history_id"])
    versions = {name: _versions(SOURCES_BY_NAME[name], ids) for name, ids in by_model.items()}
    user_model = get_user_model()
    user_ids = {row["history_user_id"] for row in rows if row["history_user_id"]}
    usernames = dict(
        user_model._default_manager.filter(pk__in=user_ids).values_list(
            "pk", user_model.USERNAME_FIELD
        )
    )
    changes = []
    for row in rows:
        source = SOURCES_BY_NAME[row["model_name"]]
        version, before = versions[row["model_name"]][row["history_id"]]
        changes.append(
            Change(
                model_name=source.name,
                model_label=str(source.model._meta.verbose_name),
                history_id=row["history_id"],
                object_id=row["id"],
                at=row["history_date"],
                kind=TYPES[row["history_type"]],
                reason=row["history_change_reason"] or "",
                user=usernames.get(row["history_user_id"], ""),
                record=_label(version),
                history_url=reverse(f"admin:programs_{source.name}_history", args=[row["id"]]),
                changes=_differences(source, version, before),
            )
        )
    _name_references([c for change in changes for c in change.changes], user)
    return changes
