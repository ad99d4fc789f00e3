"""Reading flags: the list the ``flags`` command, the API and dashboards share."""

from django.db.models import QuerySet

from programs.models import Flag


def flags_list(programme: str | None = None, status: str | None = None) -> QuerySet[Flag]:
    """Flags, most recently seen first, with what listing them needs in two queries."""
    flags = Flag.objects.select_related("programme", "nation", "acknowledged_by").prefetch_related(
        "counterparts"
    )
    if programme:
        flags = flags.filter(programme__code=programme)
    if status:
        flags = flags.filter(status=status)
    return flags.order_by("-last_seen_at", "-id")


def flag_as_dict(flag: Flag) -> dict:
    """A flag with the SPEC §1 fields, programme and nations as codes (JSON-safe)."""

    def when(value):
        return value.isoformat() if value else None

    return {
        "id": flag.pk,
        "rule": flag.rule,
        "programme": flag.programme.code if flag.programme is not None else None,
        "nation": flag.nation.code,
        "counterparts": sorted(nation.code for nation in flag.counterparts.all()),
        "severity": flag.severity,
        "status": flag.status,
        "metric": flag.metric,
        "value": None if flag.value is None else str(flag.value),
        "threshold": None if flag.threshold is None else str(flag.threshold),
        "explanation": flag.explanation,
        "evidence": flag.evidence,
        "first_seen_at": when(flag.first_seen_at),
        "last_seen_at": when(flag.last_seen_at),
        "resolved_at": when(flag.resolved_at),
        "acknowledged_by": flag.acknowledged_by.get_username()
        if flag.acknowledged_by is not None
        else None,
        "acknowledged_at": when(flag.acknowledged_at),
        "note": flag.note,
    }
