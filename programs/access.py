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

import logging
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection
from django.db.models import Exists, ManyToManyField, Model, OuterRef, Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from programs import data_version
from programs import models as m

#: Security-relevant refusals, for the operators' log (README, Security).
audit = logging.getLogger("programs.audit")


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


#: Permissions a user restricted to a nation never holds, whatever their groups say: nations are
#: reference data every user sees, and a scan raises and resolves the flags everyone sees from
#: rows hidden from them. ``gcaptrack.security.ClearedUserBackend`` withholds them.
UNRESTRICTED_ONLY = frozenset(
    {
        "programs.add_nation",
        "programs.change_nation",
        "programs.delete_nation",
        "programs.run_scan",
    }
)


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


def withheld_permissions(user, permissions: set[str]) -> set[str]:
    """The user's permissions less those only unrestricted users hold (``UNRESTRICTED_ONLY``)."""
    if not permissions or not is_restricted(user):
        return permissions
    return set(permissions) - UNRESTRICTED_ONLY


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
    cache = caches[data_version.CACHE_ALIAS]
    ids = cache.get(key)
    if ids is None:
        ids = list(programmes_seen_in_full(nation_id).order_by().values_list("pk", flat=True))
        cache.set(key, ids)
    return ids


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


def releasable_nations_error(user, nation_ids: set[int], record: Model | None = None) -> str | None:
    """Why a restricted user may not give ``record`` this marking, or None.

    A restricted user may narrow a record's release but must keep their own nation in it, or
    the record would vanish from under them. Nor may they take the record from the nations it
    belongs to (``owning_nations``: its own nation, the programme's participants it names, a
    programme's participants), or release a programme's record beyond the programme's own
    release. ``record`` carries the values being written (unsaved), with the stored record's
    key when it is an edit. Unrestricted analysts set any marking.
    """
    nation_id = viewer_nation(user)
    if nation_id is None or not nation_ids:
        return None
    if nation_id not in nation_ids:
        return "Keep your own nation in the list: you could no longer see the record."
    if record is None:
        return None
    taken = owning_nations(record) - set(nation_ids) - _already_withheld(record)
    if taken:
        return (
            f"Keep {_codes(taken)} in the list: the record is theirs (its own nation or a "
            "participant of its programme it names)."
        )
    ceiling = _release_ceiling(record)
    beyond = set(nation_ids) - ceiling - _stored_marking(record) if ceiling is not None else set()
    if beyond and ceiling is not None:
        return (
            f"{_codes(beyond)} may not be added: the programme is released only to "
            f"{_codes(ceiling)}."
        )
    return None


def programme_id_of(record: Model) -> int | None:
    """The id of the programme ``record`` belongs to (itself for a programme), or None."""
    path = RELEASE_PATHS[type(record)][1]
    if path is None:
        return None
    if path == "pk":
        return record.pk
    *hops, last = path.split("__")
    target = record
    try:
        for hop in hops:
            target = getattr(target, hop)
    except ObjectDoesNotExist:
        return None
    return getattr(target, last, None) if target is not None else None


def release_of_programme(programme_id: int) -> set[int]:
    """The nations a stored programme is released to: its marking, or its participants."""
    marked = set(
        m.Programme.releasable_to.through.objects.filter(programme_id=programme_id).values_list(
            "nation_id", flat=True
        )
    )
    return marked or _participants(programme_id)


def owning_nations(record: Model) -> set[int]:
    """The nations a record belongs to, which a restricted user may not take it from.

    A programme belongs to its participants; a record in a programme to the participants it
    names (a contribution's nation, a role's nation, the nation of an organisation it places
    work with); a record outside programmes to the nations it names (an organisation's
    nation, the nations of a stake's organisations).
    """
    if isinstance(record, m.Programme):
        return _participants(record.pk) if record.pk else set()
    named = set()
    for field in record._meta.concrete_fields:
        if not field.is_relation or getattr(record, field.attname, None) is None:
            continue
        if field.related_model is m.Nation:
            named.add(getattr(record, field.attname))
        elif field.related_model is m.Organisation:
            nation_id = getattr(record, field.name).nation_id
            if nation_id is not None:
                named.add(nation_id)
    programme_id = programme_id_of(record)
    if programme_id is None:
        return named
    return named & _participants(programme_id)


def _participants(programme_id: int) -> set[int]:
    return set(
        m.Participation.objects.filter(programme_id=programme_id).values_list(
            "nation_id", flat=True
        )
    )


def _already_withheld(record: Model) -> set[int]:
    """Owning nations a stored record is already hidden from (an unrestricted analyst's
    choice): an edit need not give it back to them."""
    if record.pk is None:
        return set()
    stored = type(record)._default_manager.filter(pk=record.pk)
    return {
        nation_id
        for nation_id in owning_nations(record)
        if not released_to(stored, nation_id).exists()
    }


def _stored_marking(record: Model) -> set[int]:
    """The stored record's marking: what it is already released to may stay."""
    if record.pk is None:
        return set()
    through, own = _through(type(record))
    return set(through.objects.filter(**{own: record.pk}).values_list("nation_id", flat=True))


def _release_ceiling(record: Model) -> set[int] | None:
    """The nations a record may be released to at most: its programme's release (for a stored
    programme, its own current one); None for records outside programmes and new programmes."""
    programme_id = programme_id_of(record)
    if programme_id is None:
        return None
    return release_of_programme(programme_id)


def _codes(nation_ids: set[int]) -> str:
    codes = sorted(m.Nation.objects.filter(pk__in=nation_ids).values_list("code", flat=True))
    return ", ".join(codes)


#: Codes of ``Tracked.unique_error_message``: a natural key that another record holds.
TAKEN_KEY_CODES = frozenset({"unique", "unique_together"})


def taken_key_fields(errors: dict[str, list[ValidationError]]) -> list[str]:
    """The fields (``__all__`` for a composite key) refused because their key is taken."""
    return sorted(
        field
        for field, problems in errors.items()
        if any(getattr(problem, "code", None) in TAKEN_KEY_CODES for problem in problems)
    )


def validation_errors_by_field(error: ValidationError) -> dict[str, list[ValidationError]]:
    """Django's ValidationError as ``{field: [errors]}`` (``__all__`` when it has no field)."""
    if hasattr(error, "error_dict"):
        return {field: list(problems) for field, problems in error.error_dict.items()}
    return {"__all__": list(error.error_list)}


def audit_taken_key(user, model: type[Model], errors: dict[str, list[ValidationError]]) -> None:
    """Keep an audit entry of a write refused because its natural key is taken.

    The record holding the key may be hidden from the user, and the refusal (which cannot be
    avoided without polyinstantiation) tells them something holds it; repeated attempts are how
    someone would probe for hidden keys, so each one is logged with who tried what kind of key.
    """
    fields = taken_key_fields(errors)
    if not fields:
        return
    audit.warning(
        "taken key refused: user=%s nation=%s model=%s fields=%s",
        getattr(user, "username", None) or "-",
        viewer_nation(user) or "-",
        model._meta.label,
        ",".join(fields),
    )


#: The lists of flag ids in a scan task's summary (``programs.tasks._summary``).
SCAN_FLAG_LISTS = ("raised", "reopened", "updated", "resolved")


def released_task_result(result, user):
    """A task's result as the user may see it: a scan's summary (or a list of them) names only
    the flags the user may see, and counts snapshots only of programmes they see in full."""
    nation_id = viewer_nation(user)
    summaries = result if isinstance(result, list) else [result]
    if nation_id is None or not all(isinstance(s, dict) for s in summaries):
        return result
    ids = {pk for s in summaries for key in SCAN_FLAG_LISTS for pk in s.get(key, ())}
    shown = set(
        released_flags_to(m.Flag.objects.filter(pk__in=ids), nation_id).values_list("pk", flat=True)
    )
    in_full = set(
        m.Programme.objects.filter(pk__in=seen_in_full_ids(nation_id)).values_list(
            "code", flat=True
        )
    )
    narrowed = []
    for summary in summaries:
        summary = {
            **summary,
            **{
                key: [pk for pk in summary[key] if pk in shown]
                for key in SCAN_FLAG_LISTS
                if key in summary
            },
        }
        if "snapshots" in summary and summary.get("programme") not in in_full:
            summary["snapshots"] = None
        narrowed.append(summary)
    return narrowed if isinstance(result, list) else narrowed[0]


def released_log_entries(entries: QuerySet, user) -> QuerySet:
    """Admin log entries (``LogEntry``) of records the user may see; entries of other models
    (users, tokens) are left as they are."""
    nation_id = viewer_nation(user)
    if nation_id is None:
        return entries
    for model, content_type in ContentType.objects.get_for_models(*RELEASE_PATHS).items():
        visible = released_to(model._default_manager.all(), nation_id).annotate(
            logged_id=Cast("pk", TextField())
        )
        entries = entries.exclude(
            Q(content_type=content_type) & ~Q(object_id__in=visible.values("logged_id"))
        )
    return entries
