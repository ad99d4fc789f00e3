"""API tokens: issued once in clear, stored hashed, revocable, expiring, each user's own."""

import datetime
import hashlib

from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programs.api import throttling, tokens
from programs.models import ApiToken, Clearance
from tests import factories
from tests.api.conftest import https_client, token_client


def test_a_user_issues_uses_and_revokes_a_token(analyst_user, db):
    session = https_client()
    session.force_login(analyst_user)
    created = session.post("/api/v1/tokens/", {"name": "BI export"}, format="json")
    assert created.status_code == 201
    key = created.json()["key"]
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert key not in (token.key_hash, token.prefix)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert "key" not in session.get(f"/api/v1/tokens/{token.pk}/").json()

    client = token_client(key)
    assert client.get("/api/v1/nations/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    assert session.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = client.get("/api/v1/nations/")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


def test_expired_and_unknown_tokens_are_refused(analyst_user, db):
    session = https_client()
    session.force_login(analyst_user)
    soon = (timezone.now() + datetime.timedelta(seconds=60)).isoformat()
    created = session.post("/api/v1/tokens/", {"name": "short", "expires_at": soon}, format="json")
    key = created.json()["key"]
    ApiToken.objects.filter(pk=created.json()["id"]).update(
        created_at=timezone.now() - datetime.timedelta(days=1),
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert "expired" in token_client(key).get("/api/v1/nations/").json()["detail"]
    forged = key[:-4] + "AAAA"
    assert token_client(forged).get("/api/v1/nations/").status_code == 401
    assert token_client("nonsense").get("/api/v1/nations/").status_code == 401


def test_an_authorization_header_is_read_by_scheme_and_refused_with_its_reason(analyst_user, db):
    _, key = tokens.issue_token(analyst_user, name="cli")
    client = https_client()

    def answer(header: str) -> tuple[int, str]:
        response = client.get("/api/v1/nations/", HTTP_AUTHORIZATION=header)
        return response.status_code, response.json().get("detail", "")

    assert answer(f"Bearer {key}")[0] == 200
    assert answer(f"bearer {key}")[0] == 200
    assert answer(f"Token  {key} ")[0] == 200
    assert answer("Bearer") == (401, "Give the token as 'Authorization: Bearer <key>'.")
    assert answer(f"Bearer {key} extra")[0] == 401
    assert answer(f"Bearer {key}é") == (401, "Malformed API token.")
    assert answer(f"Bearer {key}AAAA") == (401, "Unknown API token.")
    assert answer("gct_abc") == (401, "Authentication credentials were not provided.")
    basic = client.get("/api/v1/nations/", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert basic.status_code == 401
    assert basic["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_expiry_in_the_past_is_refused(analyst_user, db):
    session = https_client()
    session.force_login(analyst_user)
    past = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    response = session.post("/api/v1/tokens/", {"name": "x", "expires_at": past}, format="json")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_users_see_and_revoke_only_their_own_tokens(api, viewer_api, analyst_user, viewer_user):
    mine = viewer_api.post("/api/v1/tokens/", {"name": "mine"}, format="json").json()
    theirs = ApiToken.objects.filter(user=analyst_user).first()
    listed = {row["id"] for row in viewer_api.get("/api/v1/tokens/").json()["results"]}
    assert mine["id"] in listed
    assert theirs.pk not in listed
    assert viewer_api.delete(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_a_user_outside_both_groups_cannot_manage_tokens(db):
    from tests.factories import UserFactory

    stranger = UserFactory(username="stranger")
    session = https_client()
    session.force_login(stranger)
    assert session.post("/api/v1/tokens/", {"name": "x"}, format="json").status_code == 403
    assert session.get("/api/v1/nations/").status_code == 403


def test_throttling_per_user(api, world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute"},
    }
    codes = [api.get("/api/v1/nations/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_deactivated_user_is_refused_on_the_very_next_request(api, analyst_user):
    assert api.get("/api/v1/nations/").status_code == 200
    analyst_user.is_active = False
    analyst_user.save()
    refused = api.get("/api/v1/nations/")
    assert refused.status_code == 401
    assert "inactive" in refused.json()["detail"]


def test_a_permission_taken_from_the_group_applies_on_the_very_next_request(viewer_api):
    assert viewer_api.get("/api/v1/nations/").status_code == 200
    viewers = Group.objects.get(name="viewer")
    viewers.permissions.remove(Permission.objects.get(codename="view_nation"))
    assert viewer_api.get("/api/v1/nations/").status_code == 403
    viewers.permissions.add(Permission.objects.get(codename="view_nation"))
    assert viewer_api.get("/api/v1/nations/").status_code == 200


def test_the_throttle_counts_over_a_sliding_window(api, world, settings, monkeypatch):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute"},
    }
    clock = {"now": 6_000_000.0}  # the start of a one-minute window
    monkeypatch.setattr(throttling.UserRateThrottle, "timer", lambda self: clock["now"])

    def status_at(seconds: float) -> tuple[int, str | None]:
        clock["now"] = 6_000_000.0 + seconds
        response = api.get("/api/v1/nations/")
        return response.status_code, response.headers.get("Retry-After")

    assert [status_at(s)[0] for s in (0, 1, 2)] == [200, 200, 200]
    assert status_at(3) == (429, "57")  # the window is full until it ends
    # A minute on, the three requests still weigh 59/60 of three: refused, and the refusal
    # used up nothing; by 80 s they weigh two, and one more fits.
    assert status_at(61)[0] == 429
    assert status_at(80)[0] == 200
    assert status_at(81)[0] == 429


def test_a_token_its_user_and_clearance_are_read_in_one_query_a_request(api, analyst_user, world):
    Clearance.objects.create(user=analyst_user, nation=world.nations["GBR"])
    api.get("/api/v1/nations/")  # the token's last use is written at most once a minute
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/api/v1/nations/").status_code == 200
    token_reads = [q["sql"] for q in captured if "programs_apitoken" in q["sql"]]
    assert len(token_reads) == 1, token_reads
    assert "auth_user" in token_reads[0] and "programs_clearance" in token_reads[0]
    assert not [q["sql"] for q in captured if q["sql"].startswith('SELECT "auth_user"')]
    assert not [q["sql"] for q in captured if 'FROM "programs_clearance"' in q["sql"]]


def test_a_revocation_written_straight_to_the_database_applies_on_the_next_request(
    api, analyst_user
):
    assert api.get("/api/v1/nations/").status_code == 200
    # As a bulk update or another tool writes it: no signal, no cache touched.
    ApiToken.objects.filter(user=analyst_user).update(revoked_at=timezone.now())
    refused = api.get("/api/v1/nations/")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


def test_a_clearance_given_to_a_user_applies_on_the_next_request(api, analyst_user, world):
    fcas = factories.ProgrammeFactory(code="FCAS")
    factories.ParticipationFactory(programme=fcas, nation=world.nations["FRA"])

    def programmes() -> set[str]:
        return {row["code"] for row in api.get("/api/v1/programmes/").json()["results"]}

    assert programmes() == {"FCAS", "GCAP"}
    Clearance.objects.create(user=analyst_user, nation=world.nations["GBR"])
    assert programmes() == {"GCAP"}
