"""An Atom feed of flag events per subscription (Django's syndication framework).

A feed reader cannot sign in, so the feed is found at a secret URL of its own
(``/feeds/flags/<secret>/``); the subscriber rotates the secret to cut off an old URL, which
then answers 404 like one never issued. The feed carries the subscription's notable events
(``programs.subscriptions``) of the flags its owner may see now, newest first.
"""

from django.contrib.syndication.views import Feed
from django.db import connection
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from programs.access import released_flags
from programs.models import FlagEvent, Subscription
from programs.subscriptions import (
    KIND_WORDS,
    absolute_url,
    flag_url,
    headline,
    is_notable,
    matches,
    matching_flags,
)

ENTRIES = 50
#: Events read to find the notable ones (a flag's figures may move without news).
SCANNED = 500


class SubscriptionFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, token: str) -> Subscription:
        return get_object_or_404(
            Subscription.objects.select_related("user", "programme", "nation"),
            feed_token=token,
            user__is_active=True,
        )

    def title(self, subscription: Subscription) -> str:
        return f"GCAPtrack flags: {subscription.name or describe(subscription)}"

    def subtitle(self, subscription: Subscription) -> str:
        return f"Flags raised, escalated, resolved and reopened: {describe(subscription)}."

    def link(self, subscription: Subscription) -> str:
        return absolute_url(reverse("dashboards:flags"))

    def feed_url(self, subscription: Subscription) -> str:
        return absolute_url(reverse("flag-feed", args=[subscription.feed_token]))

    def author_name(self, subscription: Subscription) -> str:
        return "GCAPtrack"

    def items(self, subscription: Subscription) -> list[FlagEvent]:
        flags = released_flags(matching_flags(subscription), subscription.user)
        events = (
            FlagEvent.objects.filter(kind__in=list(KIND_WORDS), flag__in=flags)
            .select_related("flag__programme", "flag__nation")
            .order_by("-at", "-id")[:SCANNED]
        )
        return [e for e in events if is_notable(e) and matches(subscription, e)][:ENTRIES]

    def item_title(self, event: FlagEvent) -> str:
        return headline(event)

    def item_description(self, event: FlagEvent) -> str:
        return event.flag.explanation

    def item_link(self, event: FlagEvent) -> str:
        return flag_url(event.flag)

    def item_guid(self, event: FlagEvent) -> str:
        return f"urn:gcaptrack:{connection.settings_dict['NAME']}:flag-event:{event.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, event: FlagEvent):
        return event.at

    def item_updateddate(self, event: FlagEvent):
        return event.at


def describe(subscription: Subscription) -> str:
    """The subscription in words: "every flag" or what it narrows to."""
    if subscription.everything:
        parts = ["every flag"]
    else:
        parts = []
        if subscription.programme is not None:
            parts.append(f"programme {subscription.programme.code}")
        if subscription.nation is not None:
            parts.append(f"raised for {subscription.nation.name}")
        if subscription.rule:
            parts.append(f"rule {subscription.rule}")
    return ", ".join(parts) + f", {subscription.min_severity} or worse"
