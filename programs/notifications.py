"""E-mail to the analysts when a scan raises a critical flag.

One message per flag, to every active member of the ``analyst`` group who has an e-mail address
and may see the flag, through Django's e-mail backend. Analysts restricted to a nation
(``programs.access``) are mailed apart, by nation, and only the flags released to that nation;
unrestricted analysts get every flag in one message. A flag is mailed once to each of these
groups: a key per flag (and restricted nation), in Redis when there is a broker (shared by all
workers) and in Django's cache otherwise, is claimed before sending and kept after. A failed send
releases the claim so the task's retry can send it.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import connection
from django.db.models import F
from django.urls import NoReverseMatch, reverse

from gcaptrack.broker import redis_client
from programs.access import released_flags_to
from programs.balance.scan import ScanResult
from programs.models import Flag, FlagEvent
from programs.permissions import ANALYST
from programs.subscriptions import absolute_url

logger = logging.getLogger(__name__)

#: How long a claim lasts while a mail is being sent (a crashed sender's claim expires).
SENDING_SECONDS = 300
#: How long a sent flag is remembered; scans only report a flag as new once.
SENT_SECONDS = 90 * 24 * 3600


def newly_critical(results: Iterable[ScanResult]) -> list[int]:
    """Ids of the flags these scans raised, reopened or escalated to critical."""
    ids = []
    escalated = []
    for result in results:
        ids += [flag.pk for flag in result.opened if flag.severity == Flag.Severity.CRITICAL]
        escalated += [flag.pk for flag in result.updated if flag.severity == Flag.Severity.CRITICAL]
    if escalated:
        ids += FlagEvent.objects.filter(
            flag_id__in=escalated,
            kind=FlagEvent.Kind.UPDATED,
            at=F("flag__last_seen_at"),
            data__severity__to=Flag.Severity.CRITICAL,
        ).values_list("flag_id", flat=True)
    return sorted(set(ids))


def analyst_addresses_by_nation() -> dict[int | None, list[str]]:
    """Active analysts' addresses by the nation they are restricted to (None: unrestricted)."""
    by_nation: dict[int | None, list[str]] = defaultdict(list)
    for email, nation_id in (
        get_user_model()
        .objects.filter(is_active=True, groups__name=ANALYST)
        .exclude(email="")
        .order_by("email")
        .values_list("email", "clearance__nation_id")
        .distinct()
    ):
        by_nation[nation_id].append(email)
    return dict(by_nation)


def analyst_addresses() -> list[str]:
    return sorted({email for emails in analyst_addresses_by_nation().values() for email in emails})


def notify_critical_flags(flag_ids: Iterable[int]) -> int:
    """Mail each live critical flag of ``flag_ids`` not mailed before to the analysts who may
    see it; return the mails sent."""
    recipients = analyst_addresses_by_nation()
    if not recipients:
        logger.warning("No active analyst has an e-mail address: critical flags not mailed")
        return 0
    flag_ids = list(flag_ids)
    sent = 0
    # Unrestricted analysts first, then each nation's, in a stable order.
    for nation_id in sorted(recipients, key=lambda nid: (nid is not None, nid or 0)):
        flags = (
            released_flags_to(
                Flag.objects.filter(pk__in=flag_ids, severity=Flag.Severity.CRITICAL), nation_id
            )
            .exclude(status=Flag.Status.RESOLVED)
            .select_related("programme", "nation")
            .order_by("pk")
        )
        for flag in flags:
            key = _sent_key(flag, nation_id)
            if not _claim(key):
                continue
            try:
                critical_flag_message(flag, recipients[nation_id]).send()
            except Exception:
                _release(key)
                raise
            _mark_sent(key)
            sent += 1
    return sent


def critical_flag_message(flag: Flag, recipients: list[str]) -> EmailMessage:
    where = flag.programme.name if flag.programme is not None else "all programmes"
    rule = flag.get_rule_display().replace("_", " ")
    subject = f"Critical imbalance: {flag.nation.name} in {where} ({rule})"
    lines = [
        f"A scan raised a critical {rule} flag for {flag.nation.name} in {where}.",
        "",
        flag.explanation,
        "",
        f"Metric: {flag.metric}"
        + (f" = {flag.value}" if flag.value is not None else "")
        + (f" (threshold {flag.threshold})" if flag.threshold is not None else ""),
        f"First seen: {flag.first_seen_at:%Y-%m-%d %H:%M} UTC",
    ]
    link = flag_admin_path(flag)
    if link:
        lines += ["", f"Review and acknowledge it in GCAPtrack: {absolute_url(link)}"]
    lines += [
        "",
        "You receive this because you are in the analyst group of GCAPtrack.",
    ]
    return EmailMessage(
        subject=subject,
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )


def flag_admin_path(flag: Flag) -> str | None:
    try:
        return reverse("admin:programs_flag_change", args=[flag.pk])
    except NoReverseMatch:
        return None


def _sent_key(flag: Flag, nation_id: int | None = None) -> str:
    # Flag ids restart with a new database; the database name and the flag's first sighting
    # keep a key from one database (a test run, a restored copy) from silencing another's.
    key = (
        f"gcaptrack:flag-mailed:{connection.settings_dict['NAME']}:"
        f"{flag.pk}:{flag.first_seen_at.timestamp():.6f}"
    )
    return key if nation_id is None else f"{key}:nation-{nation_id}"


def _claim(key: str) -> bool:
    if settings.REDIS_URL:
        return bool(redis_client().set(key, "sending", nx=True, ex=SENDING_SECONDS))
    return cache.add(key, "sending", SENDING_SECONDS)


def _mark_sent(key: str) -> None:
    if settings.REDIS_URL:
        redis_client().set(key, "sent", ex=SENT_SECONDS)
    else:
        cache.set(key, "sent", SENT_SECONDS)


def _release(key: str) -> None:
    if settings.REDIS_URL:
        redis_client().delete(key)
    else:
        cache.delete(key)
