"""The Atom feed of a subscription: valid Atom a feed library reads, only the flags its owner
may see, at a secret URL that stops working once rotated."""

import feedparser
import pytest
from django.test import Client
from django.utils import timezone

from programs.models import Flag, FlagEvent, Subscription
from programs.tasks import scan_programme_task
from tests import factories
from tests.scan_data import leadership_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://gcaptrack.example.org"
    settings.SECURE_SSL_REDIRECT = False


def hidden_flag() -> Flag:
    """A flag of a programme only France takes part in."""
    secret = factories.ProgrammeFactory(code="SECRET", name="Programme SECRET")
    fra = factories.NationFactory(code="FRA", name="France")
    factories.ParticipationFactory(programme=secret, nation=fra)
    now = timezone.now()
    flag = Flag.objects.create(
        rule="leadership_deficit",
        programme=secret,
        nation=fra,
        severity="critical",
        metric="leadership_ratio",
        explanation="QXFrance holds no lead roleQX.",
        fingerprint="leadership_deficit|SECRET|FRA",
        first_seen_at=now,
        last_seen_at=now,
    )
    FlagEvent.objects.create(
        flag=flag, kind=FlagEvent.Kind.RAISED, at=now, data={"severity": "critical"}
    )
    return flag


def feed_of(subscription: Subscription):
    """The feed as a reader fetches it: no session, only the secret URL."""
    response = Client().get(f"/feeds/flags/{subscription.feed_token}/")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/atom+xml")
    return feedparser.parse(response.content), response.content.decode()


def test_the_feed_is_atom_with_the_subscribers_released_flags_only(
    eager_celery, django_capture_on_commit_callbacks
):
    case = leadership_case()
    secret = hidden_flag()
    japan_user = factories.UserFactory(username="jpn", groups=["viewer"])
    factories.ClearanceFactory(user=japan_user, nation=case.jpn)
    restricted = Subscription.objects.create(user=japan_user, everything=True, min_severity="info")
    unrestricted = Subscription.objects.create(
        user=factories.UserFactory(username="ana", groups=["analyst"]),
        everything=True,
        min_severity="info",
    )
    with django_capture_on_commit_callbacks(execute=True):
        scan_programme_task.delay(case.programme.code)
    flag = Flag.objects.get(programme=case.programme)

    parsed, text = feed_of(restricted)

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title.startswith("GCAPtrack flags")
    assert [entry.title for entry in parsed.entries] == [
        "Raised: leadership deficit for Japan in Programme LEAD (critical)"
    ]
    entry = parsed.entries[0]
    assert entry.link == (
        f"https://gcaptrack.example.org/flags/?programme=LEAD&nation=JPN&status=#flag-{flag.pk}"
    )
    assert flag.explanation in entry.summary
    assert entry.updated_parsed is not None
    # The whole marker: the feed's secret URL is random and may hold "QX".
    assert "SECRET" not in text and "QXFrance holds no lead roleQX" not in text
    everything, _ = feed_of(unrestricted)
    assert len(everything.entries) == 2
    assert any(secret.explanation in e.summary for e in everything.entries)


def test_a_rotated_secret_is_refused_and_the_new_one_works(client):
    subscription = Subscription.objects.create(
        user=factories.UserFactory(username="ana"), everything=True
    )
    old = f"/feeds/flags/{subscription.feed_token}/"
    client.force_login(subscription.user)

    assert client.post(f"/subscriptions/{subscription.pk}/rotate-feed/").status_code == 302

    subscription.refresh_from_db()
    assert Client().get(old).status_code == 404
    assert Client().get(f"/feeds/flags/{subscription.feed_token}/").status_code == 200
    assert Client().get("/feeds/flags/not-a-secret/").status_code == 404


def test_a_deactivated_users_feed_is_gone():
    user = factories.UserFactory(username="gone")
    subscription = Subscription.objects.create(user=user, everything=True)
    user.is_active = False
    user.save()

    assert Client().get(f"/feeds/flags/{subscription.feed_token}/").status_code == 404
