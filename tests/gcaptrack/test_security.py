"""Production hardening: deploy checks, login throttling, content security policy, headers."""

import logging
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from tests import factories
from tests.admin_helpers import https_client

PASSWORD = "correct horse battery staple"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


def https(**extra) -> Client:
    return Client(HTTP_X_FORWARDED_PROTO="https", **extra)


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_csp(response) -> None:
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def deploy_check(secret_key: str) -> subprocess.CompletedProcess:
    """`manage.py check --deploy` in a fresh process configured as production is: settings
    from the environment only, nothing inherited from this test session's overrides."""
    keep = ("PATH", "HOME", "LANG", "DATABASE_URL", "REDIS_URL")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(SECRET_KEY=secret_key, ALLOWED_HOSTS="gcaptrack.example.org", DEBUG="0")
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_checks():
    result = deploy_check(secrets.token_urlsafe(60))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_catch_a_weak_secret_key():
    """The check above can fail: the same command refuses a short key."""
    result = deploy_check("short")
    assert result.returncode != 0
    assert "W009" in result.stderr + result.stdout


@pytest.mark.django_db
def test_dashboard_page_has_a_strict_csp_and_no_inline_script(analyst):
    factories.ProgrammeFactory(code="GCAP")
    client = https()
    client.force_login(analyst)
    for url in ("/", "/programmes/GCAP/", "/flags/", "/login/"):
        response = client.get(url, follow=url == "/login/")
        assert response.status_code == 200, url
        assert_strict_csp(response)
        # Plotly styles its SVG through style attributes: inline styles stay allowed.
        assert "'unsafe-inline'" in csp_directives(response)["style-src"]
        assert not INLINE_SCRIPT.search(response.content.decode()), url


@pytest.mark.django_db
def test_admin_pages_render_under_the_csp(analyst):
    superuser = factories.UserFactory(username="root", is_superuser=True)
    client = https_client(superuser)
    for url in ("/admin/", "/admin/programs/programme/", "/admin/programs/programme/add/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_csp(response)
        assert not INLINE_SCRIPT.search(response.content.decode()), url


@pytest.mark.django_db
def test_api_responses_and_swagger_ui_carry_the_csp(analyst_client):
    response = analyst_client.get("/api/v1/nations/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert_strict_csp(response)

    docs = analyst_client.get("/api/v1/docs/", HTTP_X_FORWARDED_PROTO="https")
    assert docs.status_code == 200
    assert_strict_csp(docs)
    html = docs.content.decode()
    assert not INLINE_SCRIPT.search(html)
    # The start-up script the page loads from its own origin is served.
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1)
    script = analyst_client.get(script_url.replace("&amp;", "&"), HTTP_X_FORWARDED_PROTO="https")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.django_db
def test_security_headers_are_sent(analyst):
    client = https()
    signed_in = login(client, PASSWORD)
    assert signed_in.status_code == 302
    session_cookie = signed_in.cookies["sessionid"]
    assert session_cookie["secure"] and session_cookie["httponly"]
    assert signed_in.cookies["csrftoken"]["secure"]
    response = client.get("/")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def login(client: Client, password: str, path: str = "/login/", username: str = "ana"):
    return client.post(path, {"username": username, "password": password})


@pytest.mark.django_db
def test_six_wrong_passwords_lock_the_account_out_and_the_lockout_is_logged(analyst, caplog):
    client = https(REMOTE_ADDR="198.51.100.7")
    for _ in range(5):
        response = login(client, "wrong password")
        assert response.status_code in (200, 429)
    with caplog.at_level(logging.WARNING, logger="axes"):
        refused = login(client, PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    lockouts = [record for record in caplog.records if "Locking out" in record.getMessage()]
    assert lockouts, "the lockout was not logged"
    lockout = lockouts[0]
    assert lockout.levelname == "WARNING"
    assert 'username: "ana"' in lockout.getMessage()
    assert 'ip_address: "198.51.100.7"' in lockout.getMessage()
    assert PASSWORD not in caplog.text
    attempt = AccessAttempt.objects.get(username="ana", ip_address="198.51.100.7")
    assert attempt.failures_since_start >= 5

    # The lock is per user name and address: the same user elsewhere still signs in...
    elsewhere = https(REMOTE_ADDR="203.0.113.9")
    assert login(elsewhere, PASSWORD).status_code == 302
    # ...and after the cool-off the locked pair signs in again.
    AccessAttempt.objects.update(attempt_time=attempt.attempt_time - timedelta(minutes=16))
    assert login(client, PASSWORD).status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_four_wrong_passwords_do_not_lock_the_account(analyst):
    client = https(REMOTE_ADDR="198.51.100.8")
    for _ in range(4):
        assert login(client, "wrong password").status_code == 200
    assert login(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_admin_login_is_throttled_too(analyst):
    client = https(REMOTE_ADDR="198.51.100.10")
    for _ in range(5):
        login(client, "wrong password", path="/admin/login/")
    assert login(client, PASSWORD, path="/admin/login/").status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_client_address_is_read_from_the_trusted_proxy_only(analyst):
    """Behind nginx every request comes from 127.0.0.1: the lockout must follow the address
    nginx appended, and a client cannot pick its own by sending X-Forwarded-For directly."""
    proxied = https(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20")
    for _ in range(5):
        login(proxied, "wrong password")
    assert AccessAttempt.objects.get(username="ana").ip_address == "198.51.100.20"

    direct = https(REMOTE_ADDR="198.51.100.21", HTTP_X_FORWARDED_FOR="198.51.100.99")
    login(direct, "wrong password")
    assert AccessAttempt.objects.filter(ip_address="198.51.100.21").exists()
    assert not AccessAttempt.objects.filter(ip_address="198.51.100.99").exists()


@pytest.mark.django_db
def test_server_side_authenticate_without_a_request_still_works(analyst):
    """Management commands and the shell call authenticate() with no request: nothing to
    throttle there, so the model backend answers."""
    from django.contrib.auth import authenticate

    assert authenticate(username="ana", password=PASSWORD) == analyst
    assert authenticate(username="ana", password="wrong") is None
