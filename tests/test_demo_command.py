import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from programs import models

pytestmark = pytest.mark.django_db


def run_demo() -> dict[str, str]:
    """Run ``demo --no-serve``; return the passwords it printed, by username."""
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return dict(re.findall(r"^  (analyst|viewer)\s+password: (\S+)$", out.getvalue(), re.M))


def test_demo_creates_the_two_users_in_their_groups_with_the_printed_passwords():
    passwords = run_demo()

    assert set(passwords) == {"analyst", "viewer"}
    for name, password in passwords.items():
        user = get_user_model().objects.get(username=name)
        assert user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [name]
        assert authenticate(username=name, password=password) == user


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
