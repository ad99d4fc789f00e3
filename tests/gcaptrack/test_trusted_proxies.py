"""The login lockout cannot be escaped with a new X-Forwarded-For per try once
``TRUSTED_PROXY_IPS`` names only the proxy itself (issue 18, defect 7; README Security).

With the default (loopback trusted), anything able to connect from loopback picks its own
address; set to the proxy's own address, a client connecting from anywhere else, loopback
included, is counted at the address it connects from.
"""

import pytest
from axes.models import AccessAttempt

from tests.gcaptrack.test_security import PASSWORD, https, login

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def _only_the_proxy_trusted(settings):
    settings.TRUSTED_PROXY_IPS = [PROXY]


def test_a_new_forwarded_address_per_try_from_an_untrusted_address_is_still_locked_out(analyst):
    for attempt in range(5):
        client = https(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")
        login(client, "wrong password")

    sixth = https(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert login(sixth, PASSWORD).status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


def test_the_proxy_itself_is_still_believed(analyst):
    for _ in range(5):
        login(https(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7"), "wrong password")

    assert (
        login(https(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7"), PASSWORD).status_code
        == 429
    )
    assert (
        login(https(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.8"), PASSWORD).status_code
        == 302
    )
