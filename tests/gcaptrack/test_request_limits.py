"""Request bodies over the limit are refused with 413 and change nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from programs.models import Contribution, Nation
from tests.admin_helpers import admin_url, https_client

pytestmark = pytest.mark.django_db

LIMIT = 2_000


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.MAX_UPLOAD_SIZE = 4 * LIMIT


def test_an_api_body_over_the_limit_is_413_json_and_writes_nothing(analyst_client):
    body = json.dumps({"code": "AAA", "name": "x" * (2 * LIMIT)})

    response = analyst_client.post(
        "/api/v1/nations/", body, content_type="application/json", HTTP_X_FORWARDED_PROTO="https"
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "too large" in response.json()["detail"]
    assert not Nation.objects.exists()


def test_an_api_body_under_the_limit_is_accepted(analyst_client):
    response = analyst_client.post(
        "/api/v1/nations/",
        {"code": "AAA", "name": "Avalon"},
        content_type="application/json",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert response.status_code == 201, response.content
    assert Nation.objects.filter(code="AAA").exists()


def test_a_form_body_over_the_limit_is_413_on_a_page():
    client = Client(HTTP_X_FORWARDED_PROTO="https")

    response = client.post(
        "/login/",
        f"username=ana&password={'x' * (2 * LIMIT)}",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert "too large" in response.text


def test_multipart_fields_over_the_limit_are_413_not_400(analyst):
    """The body is under the upload limit, so Django itself finds the fields too big
    (RequestDataTooBig, a 400 by default): the 400 handler turns it into a 413."""
    client = https_client(analyst)

    response = client.post("/login/", {"username": "ana", "password": "x" * (2 * LIMIT)})

    assert response.status_code == 413


def test_an_admin_import_file_over_the_limit_is_413_and_writes_nothing(analyst):
    client = https_client(analyst)
    header = "programme,nation,period_start,period_end,amount,source,confidence\n"
    upload = SimpleUploadedFile(
        "big.csv", (header + "DEMO,AAA,2024-01-01,,1,,\n" * 800).encode(), "text/csv"
    )

    response = client.post(
        admin_url(Contribution, "import"),
        {"resource": "0", "format": "0", "import_file": upload},
    )

    assert response.status_code == 413
    assert not Contribution.objects.exists()
