"""Following flags: subscriptions managed on the dashboards and in the API, an e-mail to the
right people on raise, escalation and resolution, a daily digest of one day, and never a flag
the subscriber may not see."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from programs import subscriptions
from programs.models import Flag, FlagEvent, Subscription
from programs.tasks import scan_programme_task, send_daily_digests
from tests import factories
from tests.scan_data import leadership_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://gcaptrack.example.org"
    settings.SECURE_SSL_REDIRECT = False


def subscriber(username: str, *, cleared_for=None, **subscription) -> Subscription:
    user = factories.UserFactory(
        username=username, email=f"{username}@example.org", groups=["analyst"]
    )
    if cleared_for is not None:
        factories.ClearanceFactory(user=user, nation=cleared_for)
    return Subscription.objects.create(user=user, **subscription)


def scan(code: str, capture) -> None:
    with capture(execute=True):
        scan_programme_task.delay(code)


def mailed_to() -> dict[str, list[str]]:
    """Subjects mailed, by address (the critical-flag mail to every analyst left out)."""
    by_address: dict[str, list[str]] = {}
    for message in mail.outbox:
        if message.subject.startswith("[GCAPtrack]"):
            for address in message.to:
                by_address.setdefault(address, []).append(message.subject)
    return by_address


def test_the_right_subscribers_hear_of_a_raise_an_escalation_and_a_resolution(
    eager_celery, django_capture_on_commit_callbacks
):
    case = leadership_case()
    fra = factories.NationFactory(code="FRA", name="France")
    subscriber("everything", everything=True, min_severity="info")
    subscriber("lead", programme=case.programme, min_severity="warning")
    subscriber("critical", programme=case.programme, min_severity="critical")
    subscriber("uk", nation=case.gbr)
    subscriber("french", cleared_for=fra, everything=True, min_severity="info")
    subscriber("digest", everything=True, delivery=Subscription.Delivery.DAILY)
    role = factories.LeadershipRoleFactory(programme=case.programme, nation=case.jpn, weight=1)

    scan(case.programme.code, django_capture_on_commit_callbacks)  # a warning
    flag = Flag.objects.get()
    assert flag.severity == Flag.Severity.WARNING
    raised = "[GCAPtrack] Raised: leadership deficit for Japan in Programme LEAD (warning)"
    assert mailed_to() == {"everything@example.org": [raised], "lead@example.org": [raised]}
    message = next(m for m in mail.outbox if m.to == ["lead@example.org"])
    assert flag.explanation in message.body
    assert (
        f"https://gcaptrack.example.org/flags/?programme=LEAD&nation=JPN&status=#flag-{flag.pk}"
        in (message.body)
    )
    assert "https://gcaptrack.example.org/subscriptions/" in message.body

    mail.outbox.clear()
    role.delete()
    scan(case.programme.code, django_capture_on_commit_callbacks)  # escalated to critical
    escalated = "[GCAPtrack] Escalated: leadership deficit for Japan in Programme LEAD (critical)"
    assert mailed_to() == {
        "everything@example.org": [escalated],
        "lead@example.org": [escalated],
        "critical@example.org": [escalated],
    }

    mail.outbox.clear()
    scan(case.programme.code, django_capture_on_commit_callbacks)  # nothing new
    assert mailed_to() == {}

    factories.LeadershipRoleFactory(programme=case.programme, nation=case.jpn, weight=5)
    scan(case.programme.code, django_capture_on_commit_callbacks)  # resolved
    resolved = "[GCAPtrack] Resolved: leadership deficit for Japan in Programme LEAD (critical)"
    assert Flag.objects.get().status == Flag.Status.RESOLVED
    assert mailed_to() == {
        "everything@example.org": [resolved],
        "lead@example.org": [resolved],
        "critical@example.org": [resolved],
    }
    assert subscriptions.notify_flag_events([flag.pk]) == 0, "each event is mailed once"


def test_the_daily_digest_groups_one_days_events_and_shows_no_hidden_flag(
    eager_celery, django_capture_on_commit_callbacks
):
    case = leadership_case()
    secret = factories.ProgrammeFactory(code="SECRET", name="Programme SECRET")
    fra = factories.NationFactory(code="FRA", name="France")
    factories.ParticipationFactory(programme=secret, nation=fra)
    hidden_flag = Flag.objects.create(
        rule="outvoted",
        programme=secret,
        nation=fra,
        severity="warning",
        metric="outvoted_rate",
        explanation="France was outvoted.",
        fingerprint="outvoted|SECRET|FRA",
        first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    FlagEvent.objects.create(
        flag=hidden_flag,
        kind=FlagEvent.Kind.RAISED,
        at=timezone.now(),
        data={"severity": "warning"},
    )
    digest = subscriber("digest", everything=True, delivery=Subscription.Delivery.DAILY)
    restricted = subscriber(
        "jpn", cleared_for=case.jpn, everything=True, delivery=Subscription.Delivery.DAILY
    )
    Subscription.objects.update(created_at=timezone.now() - datetime.timedelta(days=3))
    scan(case.programme.code, django_capture_on_commit_callbacks)
    assert mailed_to() == {}, "digest subscribers get no mail per event"
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    at = timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(9)))
    FlagEvent.objects.update(at=at)
    older = FlagEvent.objects.get(flag__programme=case.programme)
    FlagEvent.objects.create(
        flag=older.flag, kind=FlagEvent.Kind.RAISED, at=at - datetime.timedelta(days=1)
    )

    assert send_daily_digests.delay().get() == 2

    digests = {m.to[0]: m for m in mail.outbox if "Daily digest" in m.subject}
    everything = digests[digest.user.email]
    assert everything.subject == (
        f"[GCAPtrack] Daily digest for {yesterday.isoformat()}: 2 flag event(s)"
    )
    assert "Programme LEAD" in everything.body and "Programme SECRET" in everything.body
    japanese = digests[restricted.user.email]
    assert "1 flag event(s)" in japanese.subject
    assert "SECRET" not in japanese.body
    assert send_daily_digests.delay(yesterday.isoformat()).get() == 0, "a day is mailed once"


def test_a_daily_digest_is_a_periodic_task_installed_by_migrate():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="Daily flag digest")
    assert task.task == "programs.send_daily_digests"
    assert (task.crontab.minute, task.crontab.hour) == ("0", "6")


def signed_in(username: str = "ana") -> Client:
    user = factories.UserFactory(username=username, groups=["analyst"])
    client = Client()
    client.force_login(user)
    return client


def test_subscriptions_are_managed_on_the_dashboards():
    programme = factories.ProgrammeFactory(code="GCAP")
    client = signed_in()

    page = client.get("/subscriptions/")
    assert page.status_code == 200
    refused = client.post("/subscriptions/", {"min_severity": "warning", "delivery": "daily"})
    assert refused.status_code == 400
    assert "Pick a programme, a nation or a rule, or follow everything." in refused.text
    created = client.post(
        "/subscriptions/",
        {
            "name": "GCAP watch",
            "programme": programme.pk,
            "min_severity": "critical",
            "delivery": "daily",
        },
    )
    assert created.status_code == 302
    item = Subscription.objects.get()
    assert (item.name, item.programme, item.delivery) == ("GCAP watch", programme, "daily")
    listed = client.get("/subscriptions/")
    assert "programme GCAP, critical or worse" in listed.text
    assert f"/feeds/flags/{item.feed_token}/" in listed.text

    other = signed_in("bob")
    assert other.post(f"/subscriptions/{item.pk}/delete/").status_code == 404
    assert client.post(f"/subscriptions/{item.pk}/delete/").status_code == 302
    assert not Subscription.objects.exists()


def api_client(user):
    from programs.api.tokens import issue_token
    from tests.api.conftest import token_client

    _, key = issue_token(user, "subscriptions")
    return token_client(key)


def test_subscriptions_are_managed_in_the_api_each_user_their_own(settings):
    settings.SECURE_SSL_REDIRECT = True
    factories.ProgrammeFactory(code="GCAP")
    ana = factories.UserFactory(username="ana", groups=["viewer"])
    api = api_client(ana)

    refused = api.post(
        "/api/v1/subscriptions/", {"everything": True, "programme": "GCAP"}, format="json"
    )
    assert refused.status_code == 400
    assert "everything" in refused.json()
    created = api.post(
        "/api/v1/subscriptions/",
        {"programme": "GCAP", "rule": "outvoted", "min_severity": "info"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["feed_url"].startswith("https://gcaptrack.example.org/feeds/flags/")
    rotated = api.post(f"/api/v1/subscriptions/{body['id']}/rotate-feed/")
    assert rotated.status_code == 200
    assert rotated.json()["feed_url"] != body["feed_url"]
    bob = api_client(factories.UserFactory(username="bob", groups=["viewer"]))
    assert bob.get("/api/v1/subscriptions/").json()["results"] == []
    assert bob.delete(f"/api/v1/subscriptions/{body['id']}/").status_code == 404
    assert api.delete(f"/api/v1/subscriptions/{body['id']}/").status_code == 204


def test_a_subscription_naming_a_programme_with_a_nul_is_refused_on_the_field(settings):
    """The fuzz run's 500: the code reached PostgreSQL, which takes no NUL in text."""
    settings.SECURE_SSL_REDIRECT = True
    factories.ProgrammeFactory(code="GCAP")
    api = api_client(factories.UserFactory(username="ana", groups=["viewer"]))

    refused = api.post("/api/v1/subscriptions/", {"programme": "GC\x00AP"}, format="json")

    assert refused.status_code == 400
    assert list(refused.json()) == ["programme"]
    assert not Subscription.objects.exists()
