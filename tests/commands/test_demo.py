import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import Client

from programs import models
from programs.access import viewer_nation

pytestmark = pytest.mark.django_db


def run_demo() -> dict[str, str]:
    """Run ``demo --no-serve``; return the passwords it printed, by username."""
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return dict(re.findall(r"^  ([\w-]+)\s+password: (\S+)$", out.getvalue(), re.M))


def test_demo_creates_the_users_in_their_groups_with_their_clearances_and_printed_passwords():
    passwords = run_demo()

    assert set(passwords) == {"analyst", "viewer", "analyst-jpn"}
    expected = {"analyst": ("analyst", None), "viewer": ("viewer", None)}
    expected["analyst-jpn"] = ("analyst", "JPN")
    for name, password in passwords.items():
        user = get_user_model().objects.get(username=name)
        group, nation = expected[name]
        assert user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [group]
        assert viewer_nation_code(user) == nation
        assert authenticate(username=name, password=password) == user


def viewer_nation_code(user) -> str | None:
    nation_id = viewer_nation(user)
    return models.Nation.objects.get(pk=nation_id).code if nation_id else None


def test_the_japanese_demo_analyst_does_not_see_a_record_released_to_the_uk_and_italy_only():
    passwords = run_demo()
    contribution = models.Contribution.objects.filter(programme__code="GCAP").first()
    contribution.releasable_to.set(models.Nation.objects.filter(code__in=["GBR", "ITA"]))
    client = Client()
    assert client.login(username="analyst-jpn", password=passwords["analyst-jpn"])

    response = client.get(f"/api/v1/contributions/{contribution.pk}/", secure=True)
    listed = client.get(
        "/api/v1/contributions/?programme=GCAP", HTTP_ACCEPT="application/json", secure=True
    )

    assert response.status_code == 404
    assert listed.status_code == 200, listed.content[:300]
    assert contribution.pk not in [row["id"] for row in listed.json()["results"]]
    assert client.login(username="analyst", password=passwords["analyst"])
    assert client.get(f"/api/v1/contributions/{contribution.pk}/", secure=True).status_code == 200


def test_demo_loads_the_seeds_and_scans():
    run_demo()

    assert models.Programme.objects.filter(code="GCAP").exists()
    assert models.ScenarioLoad.objects.filter(file_name__endswith="gcap.yaml").exists()
    assert models.Flag.objects.filter(programme__code="GCAP", nation__code="JPN").exists()


def test_running_the_demo_again_renews_the_passwords_and_changes_no_data():
    first = run_demo()
    programmes = models.Programme.history.count()

    second = run_demo()

    assert first["analyst"] != second["analyst"]
    assert authenticate(username="analyst", password=first["analyst"]) is None
    assert authenticate(username="analyst", password=second["analyst"]) is not None
    assert models.Programme.history.count() == programmes
