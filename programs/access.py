"""Releasability: which records a user of a given nation may see (national caveats).

Every tracked record may be marked releasable to a set of nations (``releasable_to``). An
unmarked programme is releasable to its participants (any ``Participation`` row, past or
present); an unmarked record in a programme is releasable wherever its programme is, so marking a
programme (say, a historical one, to every nation) releases all of it at once; an unmarked record
outside any programme (organisations, ownership stakes, agreements) is releasable to every
nation. Nations themselves are reference data and always visible.

A record is visible to a nation when its own marking releases it *and* every record it hangs
off or names does too: a vote needs its decision, the decision its body, the body its
programme; a workshare line needs its work package and the organisation it is placed with. So
a hidden programme hides everything in it, and a hidden organisation never shows up by name.

Users are restricted through their ``Clearance``; a user with no clearance nation is
unrestricted and every function here passes their querysets through untouched. Aggregates
(balance metrics, charts, counts) are computed over the visible rows only, by building them on
these querysets (``released``) or, for hand-written SQL, on ``released_table``.

Flags and snapshots are derived from all rows of a programme by the scans; a restricted user
sees them only for programmes they see in full (``programmes_seen_in_full``), so no flag,
figure or explanation can be computed from a row hidden from them.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from django.core.cache import caches
from django.db import connection
from django.db.models import Exists, ManyToManyField, Model, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT

from programs import data_version
from programs import models as m


@dataclass(frozen=True)
class Link:
    """One record on the path from a row to what it hangs off (``""`` is the row itself)."""

    prefix: str
    model: type[Model]


def _links(*links: tuple[str, type[Model]]) -> list[Link]:
    return [Link(prefix, model) for prefix, model in links]


#: For each releasable model: the records that must all be releasable for a row to be visible,
#: and the path to the programme that sets the default (None: outside any programme).
RELEASE_PATHS: dict[type[Model], tuple[list[Link], str | None]] = {
    m.Organisation: (_links(("", m.Organisation)), None),
    m.OwnershipStake: (
        _links(
            ("", m.OwnershipStake),
            ("venture__", m.Organisation),
            ("owner__", m.Organisation),
        ),
        None,
    ),
    m.Agreement: (_links(("", m.Agreement)), None),
    m.Programme: (_links(("", m.Programme)), "pk"),
    m.Participation: (
        _links(("", m.Participation), ("programme__", m.Programme)),
        "programme_id",
    ),
    m.Contribution: (
        _links(("", m.Contribution), ("programme__", m.Programme)),
        "programme_id",
    ),
    m.ThresholdOverride: (
        _links(("", m.ThresholdOverride), ("programme__", m.Programme)),
        "programme_id",
    ),
    m.WorkPackage: (
        _links(
            ("", m.WorkPackage),
            ("programme__", m.Programme),
            ("lead_organisation__", m.Organisation),
        ),
        "programme_id",
    ),
    m.WorkshareAllocation: (
        _links(
            ("", m.WorkshareAllocation),
            ("work_package__", m.WorkPackage),
            ("work_package__programme__", m.Programme),
            ("work_package__lead_organisation__", m.Organisation),
            ("organisation__", m.Organisation),
        ),
        "work_package__programme_id",
    ),
    m.LeadershipRole: (
        _links(
            ("", m.LeadershipRole),
            ("programme__", m.Programme),
            ("organisation__", m.Organisation),
        ),
        "programme_id",
    ),
    m.DecisionBody: (
        _links(("", m.DecisionBody), ("programme__", m.Programme)),
        "programme_id",
    ),
    m.Seat: (
        _links(
            ("", m.Seat),
            ("body__", m.DecisionBody),
            ("body__programme__", m.Programme),
        ),
        "body__programme_id",
    ),
    m.Decision: (
        _links(
            ("", m.Decision),
            ("body__", m.DecisionBody),
            ("body__programme__", m.Programme),
        ),
        "body__programme_id",
    ),
    m.Vote: (
        _links(
            ("", m.Vote),
            ("decision__", m.Decision),
            ("decision__body__", m.DecisionBody),
            ("decision__body__programme__", m.Programme),
        ),
        "decision__body__programme_id",
    ),
    m.TechTransferMilestone: (
        _links(
            ("", m.TechTransferMilestone),
            ("programme__", m.Programme),
            ("provider__", m.Organisation),
            ("recipient__", m.Organisation),
        ),
        "programme_id",
    ),
}

#: Models that hang off a programme, each with the path to it: what a programme is made of.
PROGRAMME_RECORDS = {
    model: path for model, (_, path) in RELEASE_PATHS.items() if path and model is not m.Programme
}


def viewer_nation(user) -> int | None:
    """The id of the nation the user is restricted to, or None for an unrestricted user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_gcaptrack_viewer_nation", ...)
    if cached is not ...:
        return cached
    nation_id = (
        m.Clearance.objects.filter(user_id=user.pk).values_list("nation_id", flat=True).first()
    )
    user._gcaptrack_viewer_nation = nation_id
    return nation_id


def remember_viewer_nation(user, nation_id: int | None) -> None:
    """Record the user's clearance nation read along with the user (API tokens), so that
    :func:`viewer_nation` needs no query of its own."""
    user._gcaptrack_viewer_nation = nation_id


def is_restricted(user) -> bool:
    return viewer_nation(user) is not None


def _through(model: type[Model]):
    marking = model._meta.get_field("releasable_to")
    through = marking.remote_field.through if isinstance(marking, ManyToManyField) else None
    if through is None:
        raise TypeError(f"{model.__name__} has no releasability marking")
    own = next(f.name for f in through._meta.fields if f.is_relation and f.related_model is model)
    return through, own


def _released_by_marking(link: Link, nation_id: int) -> Q:
    through, own = _through(link.model)
    outer = OuterRef(f"{link.prefix}pk")
    marked = Exists(through.objects.filter(**{own: outer}))
    released = Exists(through.objects.filter(**{own: outer, "nation_id": nation_id}))
    default = Q()
    if link.model is m.Programme:
        default = Q(Exists(m.Participation.objects.filter(programme_id=outer, nation_id=nation_id)))
    return Q(released) | (~Q(marked) & default)


def release_q(model: type[Model], nation_id: int) -> Q:
    """The condition on ``model`` rows that are visible to the nation."""
    condition = Q()
    for link in RELEASE_PATHS[model][0]:
        condition &= _released_by_marking(link, nation_id)
    return condition


def released_to(queryset: QuerySet, nation_id: int | None) -> QuerySet:
    """The queryset narrowed to what the nation may see (all of it for None)."""
    if nation_id is None or queryset.model not in RELEASE_PATHS:
        return queryset
    return queryset.filter(release_q(queryset.model, nation_id))


def released(queryset: QuerySet, user) -> QuerySet:
    """The queryset narrowed to what the user may see."""
    return released_to(queryset, viewer_nation(user))


def released_table(model: type[Model], nation_id: int | None) -> tuple[str, list]:
    """A FROM-clause source for hand-written SQL: the model's table, or only its visible rows.

    Returns ``(sql, params)``; for an unrestricted viewer the quoted table name and no params.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    if nation_id is None:
        return table, []
    visible, params = (
        released_to(model._default_manager.all(), nation_id).values("pk").query.sql_with_params()
    )
    return f"(SELECT * FROM {table} WHERE id IN ({visible}))", list(params)


def programmes_seen_in_full(nation_id: int) -> QuerySet:
    """Programmes the nation sees with nothing hidden that their flags could be built from.

    Scans derive flags and snapshots from all of a programme's rows, and the prior ties of its
    nations from their participations in other programmes and their agreements; a restricted
    user may see flags and snapshots only for programmes where all of that is releasable.
    """
    programmes = released_to(m.Programme.objects.all(), nation_id)
    for model, path in PROGRAMME_RECORDS.items():
        hidden = model._default_manager.filter(**{path: OuterRef("pk")}).exclude(
            release_q(model, nation_id)
        )
        programmes = programmes.exclude(Exists(hidden))
    hidden_ties = m.Participation.objects.filter(
        nation__participations__programme=OuterRef("pk")
    ).exclude(release_q(m.Participation, nation_id))
    hidden_agreements = m.Agreement.objects.filter(
        nations__participations__programme=OuterRef("pk")
    ).exclude(release_q(m.Agreement, nation_id))
    return programmes.exclude(Exists(hidden_ties)).exclude(Exists(hidden_agreements))


def released_flags(queryset: QuerySet, user) -> QuerySet:
    """Flags the user may see: those of programmes they see in full.

    A cross-programme flag (global return) is computed over every programme of its currency the
    flagged nation takes part in; a restricted user sees it only when they see all the
    programmes of that currency in full.
    """
    return released_flags_to(queryset, viewer_nation(user))


def seen_in_full_ids(nation_id: int) -> list[int]:
    """Ids of ``programmes_seen_in_full``, computed once per nation and data version.

    The query is dozens of nested subqueries (about 0.1 s to build, compile and run) and every
    flag and snapshot path of a restricted user needs it; any write moves the data version
    (``programs.data_version``), so a cached answer is never stale.
    """
    key = f"seen-in-full:{nation_id}:{data_version.current()}"
    ids = _recent_seen.get(key)
    if ids is None:
        cache = caches[data_version.CACHE_ALIAS]
        ids = cache.get(key)
        if ids is None:
            ids = list(programmes_seen_in_full(nation_id).order_by().values_list("pk", flat=True))
            cache.set(key, ids)
        _recent_seen[key] = ids
        while len(_recent_seen) > 64:
            _recent_seen.popitem(last=False)
    return ids


_recent_seen: OrderedDict[str, list[int]] = OrderedDict()


def released_flags_to(queryset: QuerySet, nation_id: int | None) -> QuerySet:
    """Flags a nation may see (all of them for None): see ``released_flags``."""
    if nation_id is None:
        return queryset
    seen = seen_in_full_ids(nation_id)
    unseen_currencies = m.Programme.objects.exclude(pk__in=seen).values("currency")
    return queryset.annotate(evidence_currency=KT("evidence__currency")).filter(
        Q(programme__in=seen)
        | Q(programme__isnull=True) & ~Q(evidence_currency__in=unseen_currencies)
    )


def released_snapshots(queryset: QuerySet, user) -> QuerySet:
    """Balance snapshots the user may see: those of programmes they see in full."""
    nation_id = viewer_nation(user)
    if nation_id is None:
        return queryset
    return queryset.filter(programme__in=seen_in_full_ids(nation_id))


def releasable_nations_error(user, nation_ids: set[int]) -> str | None:
    """Why a restricted user may not set this marking, or None.

    A restricted user may narrow a record's release but must keep their own nation in it, or
    the record would vanish from under them.
    """
    nation_id = viewer_nation(user)
    if nation_id is None or not nation_ids or nation_id in nation_ids:
        return None
    return "Keep your own nation in the list: you could no longer see the record."
