"""Telling subscribers about flag events: an e-mail per event, or a daily digest.

The events that count are a flag raised, escalated (its severity rose), resolved or reopened
(``FlagEvent``). A subscription matches an event when the flag is of its programme, raised for
its nation, of its rule (each when set; ``everything`` matches every flag) and at least its
minimum severity. A subscriber hears only of flags they may see (``programs.access``): a
restricted user's subscription never matches a flag of a programme they do not see in full.

Each event is sent to a subscription once: a ``SubscriptionNotice`` row is claimed before the
mail is sent and dropped again if sending fails, so the task's retry sends it. A user whose
subscriptions overlap gets one e-mail per event. Links are absolute (``SITE_URL``).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from programs.access import released_flags_to
from programs.models import Flag, FlagEvent, Subscription, SubscriptionNotice
from programs.models.subscriptions import SEVERITY_ORDER, new_feed_token

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _Viewer(TypedDict):
        viewer_nation_id: int | None

    #: A subscription annotated with its owner's nation (:func:`subscriptions_to_mail`).
    ViewedSubscription = WithAnnotations[Subscription, _Viewer]

logger = logging.getLogger(__name__)

#: How far back an on-scan notification looks for events of the flags a scan touched.
RECENT = datetime.timedelta(days=1)
KIND_WORDS: dict[str, str] = {
    FlagEvent.Kind.RAISED: "Raised",
    FlagEvent.Kind.UPDATED: "Escalated",
    FlagEvent.Kind.RESOLVED: "Resolved",
    FlagEvent.Kind.REOPENED: "Reopened",
}


def absolute_url(path: str) -> str:
    """``path`` on this site, as a link that works from a mail or a feed reader."""
    return settings.SITE_URL.rstrip("/") + path


def flag_url(flag: Flag) -> str:
    """The flag on the flags page (its programme's, every status), as an absolute link."""
    programme = flag.programme.code if flag.programme is not None else "-"
    return absolute_url(
        f"{reverse('dashboards:flags')}?programme={programme}&nation={flag.nation.code}"
        f"&status=#flag-{flag.pk}"
    )


def is_escalation(event: FlagEvent) -> bool:
    change = (event.data or {}).get("severity")
    if not isinstance(change, dict):
        return False
    before, after = change.get("from"), change.get("to")
    if before not in SEVERITY_ORDER or after not in SEVERITY_ORDER:
        return False
    return SEVERITY_ORDER.index(after) > SEVERITY_ORDER.index(before)


def is_notable(event: FlagEvent) -> bool:
    """Raised, escalated, resolved or reopened (an acknowledgement, or a figure that moved
    without the severity rising, is not news)."""
    if event.kind == FlagEvent.Kind.UPDATED:
        return is_escalation(event)
    return event.kind in KIND_WORDS


def event_severity(event: FlagEvent) -> str:
    """The flag's severity as the event left it (a flag raised as a warning may be critical
    by now)."""
    data = event.data or {}
    if event.kind == FlagEvent.Kind.UPDATED and isinstance(data.get("severity"), dict):
        return data["severity"].get("to") or event.flag.severity
    if event.kind in (FlagEvent.Kind.RAISED, FlagEvent.Kind.REOPENED):
        severity = data.get("severity")
        if severity in SEVERITY_ORDER:
            return severity
    return event.flag.severity


def matches(subscription: Subscription, event: FlagEvent) -> bool:
    flag = event.flag
    if event_severity(event) not in subscription.severities:
        return False
    if subscription.everything:
        return True
    return (
        (not subscription.programme_id or subscription.programme_id == flag.programme_id)
        and (not subscription.nation_id or subscription.nation_id == flag.nation_id)
        and (not subscription.rule or subscription.rule == flag.rule)
    )


def matching_flags(subscription: Subscription) -> QuerySet[Flag]:
    """The flags of the subscription's programme, nation and rule, in SQL (the severity is the
    event's: :func:`matches`; the owner's releasability is not applied)."""
    flags = Flag.objects.all()
    if subscription.everything:
        return flags
    if subscription.programme_id:
        flags = flags.filter(programme_id=subscription.programme_id)
    if subscription.nation_id:
        flags = flags.filter(nation_id=subscription.nation_id)
    if subscription.rule:
        flags = flags.filter(rule=subscription.rule)
    return flags


def subscriptions_to_mail(delivery: str) -> QuerySet[ViewedSubscription]:
    """Active users' subscriptions of this delivery, with an address, and their clearance."""
    return (
        Subscription.objects.filter(delivery=delivery, user__is_active=True)
        .exclude(user__email="")
        .select_related("user", "programme")
        .annotate(viewer_nation_id=F("user__clearance__nation_id"))
        .order_by("user_id", "id")
    )


def _visible_flags(flag_ids: set[int], nation_ids: Iterable[int | None]) -> dict:
    """For each viewer nation, the flags of ``flag_ids`` it may see (a query a nation)."""
    return {
        nation_id: set(
            released_flags_to(Flag.objects.filter(pk__in=flag_ids), nation_id).values_list(
                "pk", flat=True
            )
        )
        for nation_id in set(nation_ids)
    }


@dataclass
class Delivery:
    """The events one user is to hear of, and through which of their subscriptions."""

    user: object
    events: dict[int, FlagEvent]
    subscriptions: dict[int, list[Subscription]]


def _matched(subscriptions: Sequence[ViewedSubscription], events: list[FlagEvent]):
    """Each (subscription, event) pair that matches and whose flag the subscriber may see."""
    visible = _visible_flags(
        {e.flag_id for e in events}, (s.viewer_nation_id for s in subscriptions)
    )
    for subscription in subscriptions:
        seen = visible[subscription.viewer_nation_id]
        for event in events:
            if event.at < subscription.created_at or event.flag_id not in seen:
                continue
            if matches(subscription, event):
                yield subscription, event


def _deliveries(
    subscriptions: Sequence[ViewedSubscription], events: list[FlagEvent]
) -> dict[int, Delivery]:
    by_user: dict[int, Delivery] = {}
    for subscription, event in _matched(subscriptions, events):
        delivery = by_user.setdefault(
            subscription.user_id, Delivery(subscription.user, {}, defaultdict(list))
        )
        delivery.events[event.pk] = event
        delivery.subscriptions[event.pk].append(subscription)
    return by_user


def _recent_events(flag_ids: Iterable[int]) -> list[FlagEvent]:
    return _events(
        FlagEvent.objects.filter(flag_id__in=list(flag_ids), at__gte=timezone.now() - RECENT)
    )


def webhook_deliveries(flag_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(webhook, event) pairs to deliver for the recent notable events of these flags: every
    active webhook of a matching subscription whose owner may see the flag."""
    events = _recent_events(flag_ids)
    if not events:
        return []
    subscriptions = list(
        Subscription.objects.filter(user__is_active=True, webhooks__active=True)
        .distinct()
        .select_related("user")
        .prefetch_related("webhooks")
        .annotate(viewer_nation_id=F("user__clearance__nation_id"))
    )
    return [
        (webhook.pk, event.pk)
        for subscription, event in _matched(subscriptions, events)
        for webhook in subscription.webhooks.all()
        if webhook.active
    ]


def _claim(subscriptions: list[Subscription], event: FlagEvent) -> list[SubscriptionNotice]:
    """Notices of the event for those subscriptions that have not had it yet."""
    claimed = []
    for subscription in subscriptions:
        try:
            with transaction.atomic():
                claimed.append(
                    SubscriptionNotice.objects.create(subscription=subscription, event=event)
                )
        except IntegrityError:
            continue
    return claimed


def _send_claimed(message: EmailMessage, notices: list[SubscriptionNotice]) -> None:
    try:
        message.send()
    except Exception:
        SubscriptionNotice.objects.filter(pk__in=[n.pk for n in notices]).delete()
        raise


def _events(queryset: QuerySet[FlagEvent]) -> list[FlagEvent]:
    events = queryset.select_related("flag__programme", "flag__nation").order_by("at", "id")
    return [event for event in events if is_notable(event)]


def notify_flag_events(flag_ids: Iterable[int]) -> int:
    """Mail the immediate subscribers of the recent notable events of these flags (those a
    scan raised, updated, resolved or reopened); return the mails sent."""
    events = _recent_events(flag_ids)
    if not events:
        return 0
    subscriptions = list(subscriptions_to_mail(Subscription.Delivery.IMMEDIATE))
    sent = 0
    for delivery in _deliveries(subscriptions, events).values():
        for event_id, event in delivery.events.items():
            notices = _claim(delivery.subscriptions[event_id], event)
            if not notices:
                continue
            _send_claimed(event_message(event, delivery.user), notices)
            sent += 1
    return sent


def send_daily_digests(day: datetime.date | None = None) -> int:
    """Mail each digest subscriber the notable events of ``day`` (default yesterday, in the
    site's time zone) in one message; return the mails sent."""
    day = day or timezone.localdate() - datetime.timedelta(days=1)
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    events = _events(
        FlagEvent.objects.filter(at__gte=start, at__lt=start + datetime.timedelta(days=1))
    )
    if not events:
        return 0
    subscriptions = list(subscriptions_to_mail(Subscription.Delivery.DAILY))
    sent = 0
    for delivery in _deliveries(subscriptions, events).values():
        claimed, news = [], []
        for event_id, event in delivery.events.items():
            notices = _claim(delivery.subscriptions[event_id], event)
            if notices:
                claimed += notices
                news.append(event)
        if news:
            _send_claimed(digest_message(day, news, delivery.user), claimed)
            sent += 1
    return sent


def _where(flag: Flag) -> str:
    return flag.programme.name if flag.programme is not None else "all programmes"


def headline(event: FlagEvent) -> str:
    """What happened, to which flag, and at which severity."""
    flag = event.flag
    rule = flag.get_rule_display().replace("_", " ")
    return (
        f"{KIND_WORDS[event.kind]}: {rule} for {flag.nation.name} in {_where(flag)} "
        f"({event_severity(event)})"
    )


def _footer() -> list[str]:
    return [
        "",
        "You receive this because you follow these flags in GCAPtrack. Change or stop your "
        f"subscriptions at {absolute_url(reverse('dashboards:subscriptions'))}",
    ]


def event_message(event: FlagEvent, user) -> EmailMessage:
    flag = event.flag
    lines = [
        f"{headline(event)}, {event.at:%Y-%m-%d %H:%M} UTC.",
        "",
        flag.explanation,
        "",
        f"See it in GCAPtrack: {flag_url(flag)}",
        *_footer(),
    ]
    return EmailMessage(
        subject=f"[GCAPtrack] {headline(event)}",
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )


def digest_message(day: datetime.date, events: list[FlagEvent], user) -> EmailMessage:
    lines = [f"Flag events of {day:%A %d %B %Y} in GCAPtrack ({len(events)}):", ""]
    for event in events:
        flag = event.flag
        lines += [
            f"- {event.at:%H:%M} UTC {headline(event)}",
            f"  {flag.explanation}",
            f"  {flag_url(flag)}",
        ]
    lines += _footer()
    return EmailMessage(
        subject=f"[GCAPtrack] Daily digest for {day:%Y-%m-%d}: {len(events)} flag event(s)",
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )


def rotate_feed(subscription: Subscription) -> Subscription:
    """A new secret for the subscription's feed; the old URL stops working at once."""
    subscription.feed_token = new_feed_token()
    subscription.save(update_fields=["feed_token"])
    return subscription


def feed_url(subscription: Subscription) -> str:
    return absolute_url(reverse("flag-feed", args=[subscription.feed_token]))
