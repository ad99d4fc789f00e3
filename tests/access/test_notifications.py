"""Critical-flag e-mails respect releasability: a restricted analyst is mailed only the flags
their nation may see; unrestricted analysts are mailed every flag, as before."""

import pytest
from django.core import mail

from programs import notifications
from programs.balance.scan import scan_programme
from programs.models import Contribution
from tests import factories
from tests.scan_data import leadership_case


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def analyst(username: str, nation=None):
    user = factories.UserFactory(
        username=username, email=f"{username}@example.org", groups=["analyst"]
    )
    if nation is not None:
        factories.ClearanceFactory(user=user, nation=nation)
    return user


def recipients_of(subject_part: str) -> list[list[str]]:
    return [sorted(m.to) for m in mail.outbox if subject_part in m.subject]


@pytest.mark.django_db
def test_each_analyst_is_mailed_only_the_flags_their_nation_may_see():
    case = leadership_case()
    fra = factories.NationFactory(code="FRA", name="France")
    analyst("una")
    analyst("jun", case.jpn)
    analyst("gus", case.gbr)
    analyst("fay", fra)
    flag = scan_programme(case.programme).raised[0]

    assert notifications.notify_critical_flags([flag.pk]) == 3

    # France takes no part in LEAD: its analyst never hears of the flag.
    assert sorted(recipients_of("Programme LEAD")) == [
        ["gus@example.org"],
        ["jun@example.org"],
        ["una@example.org"],
    ]
    assert not any("fay@example.org" in m.to for m in mail.outbox)
    # Each group is mailed once.
    assert notifications.notify_critical_flags([flag.pk]) == 0
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_a_hidden_row_in_the_programme_keeps_its_flags_from_that_nation():
    case = leadership_case()
    analyst("una")
    analyst("jun", case.jpn)
    analyst("gus", case.gbr)
    # A contribution released to the United Kingdom only: Japan no longer sees LEAD in full,
    # so no flag of LEAD (computed from that row) may reach a Japanese analyst.
    secret = Contribution.objects.get(programme=case.programme, nation=case.gbr)
    secret.releasable_to.set([case.gbr])
    flag = scan_programme(case.programme).raised[0]

    assert notifications.notify_critical_flags([flag.pk]) == 2

    assert sorted(recipients_of("Programme LEAD")) == [["gus@example.org"], ["una@example.org"]]


@pytest.mark.django_db
def test_analysts_of_one_nation_share_one_message_and_unrestricted_ones_another():
    case = leadership_case()
    analyst("una")
    analyst("ulf")
    factories.ClearanceFactory(user=analyst("nil"), nation=None)
    analyst("jun", case.jpn)
    analyst("jo", case.jpn)
    flag = scan_programme(case.programme).raised[0]

    assert notifications.notify_critical_flags([flag.pk]) == 2

    assert sorted(recipients_of("Programme LEAD")) == [
        ["jo@example.org", "jun@example.org"],
        ["nil@example.org", "ulf@example.org", "una@example.org"],
    ]
