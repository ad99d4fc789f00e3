"""The permission matrix: every API route × every method it serves × every kind of caller.

The cases are generated from the URL patterns of programs.api.urls, so a new route is covered
(and must be given an expectation) without anyone remembering to add it here.
"""

import uuid

import pytest
from django.urls import URLPattern, reverse

from programs.api import urls as api_urls
from programs.api.views import TaskView
from programs.models import WhatIfDraft
from tests.api.resources import own_records

#: The schema and its documentation: every signed-in user reads them, nobody else.
PUBLIC = {"schema", "docs"}
#: Routes every signed-in analyst or viewer may use with every method (their own tokens,
#: what-if evaluations, which write nothing, saving or copying what-if drafts, and
#: subscriptions; webhooks are read by their owner, created by analysts only).
SELF_SERVICE = {
    "token-list",
    "token-detail",
    "what-if",
    "whatif-draft-list",
    "whatif-draft-copy",
    "subscription-list",
    "subscription-detail",
    "subscription-rotate-feed",
    "webhook-detail",
    "webhook-deliveries",
}
UNAUTHENTICATED = ("anonymous", "revoked_token", "expired_token")


def _routes() -> list:
    cases = []
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name in PUBLIC:
            continue
        view = pattern.callback
        actions = getattr(view, "actions", None)
        if actions is None:
            view_class = view.view_class
            methods = [m for m in view_class.http_method_names if m not in ("options", "head")]
            actions = {m: m for m in methods if hasattr(view_class, m)}
        for method in actions:
            cases.append(pytest.param(pattern, method, id=f"{pattern.name}-{method}"))
    return cases


ROUTES = _routes()


def _url(pattern: URLPattern, world, analyst_user) -> str:
    name = pattern.name
    view = pattern.callback
    if getattr(view, "view_class", None) is TaskView:
        return reverse("api:task", args=[uuid.uuid4()])
    if name == "pair-report":
        return reverse("api:pair-report", kwargs={"a": "GBR", "b": "ITA"})
    cls = view.cls
    if not hasattr(cls, "lookup_field"):  # a plain APIView on a path of its own
        return reverse(f"api:{name}")
    kwarg = cls.lookup_url_kwarg or cls.lookup_field
    if f"<{kwarg}>" not in str(pattern.pattern) and kwarg not in pattern.pattern.regex.groupindex:
        return reverse(f"api:{name}")
    basename = view.initkwargs["basename"]
    if basename == "token":
        record = analyst_user.api_tokens.order_by("pk").first()
    elif basename == "whatif-draft":
        # The analyst's own draft: only its author changes or deletes it.
        record = WhatIfDraft.objects.create(
            name="Draft", author=analyst_user, document="format: gcaptrack-scenario/1\n"
        )
    elif basename in ("subscription", "webhook"):
        record = own_records(analyst_user)[basename]
    else:
        record = world.records[basename]
    return reverse(f"api:{name}", kwargs={kwarg: getattr(record, cls.lookup_field)})


def test_every_route_is_in_the_matrix():
    named = {pattern.name for pattern in api_urls.urlpatterns} - PUBLIC
    assert named == {case.values[0].name for case in ROUTES}
    assert len(ROUTES) >= 13 * 3


@pytest.mark.parametrize(("pattern", "method"), ROUTES)
def test_permission_matrix(pattern, method, world, identities, analyst_user):
    url = _url(pattern, world, analyst_user)
    outcomes = {}
    for who in (*UNAUTHENTICATED, "viewer", "analyst"):
        client = identities[who]
        response = getattr(client, method)(url, {}, format="json")
        outcomes[who] = response.status_code
        assert response.status_code < 500, (who, response.content)
        if who in UNAUTHENTICATED:
            assert response.status_code == 401, (who, response.content)
            assert response["WWW-Authenticate"].startswith("Bearer")
        elif who == "viewer" and pattern.name not in SELF_SERVICE:
            expected = 200 if method == "get" else 403
            assert response.status_code == expected, (who, response.content)
        else:
            assert response.status_code not in (401, 403), (who, response.content)


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_schema_and_docs_need_a_signed_in_user(path, identities):
    for who in UNAUTHENTICATED:
        assert identities[who].get(path).status_code == 401, who
    assert identities["viewer"].get(path).status_code == 200


def test_schema_and_docs_are_served_without_a_cdn(identities):
    schema = identities["viewer"].get("/api/v1/schema/")
    assert b"openapi: 3" in schema.content
    docs = identities["viewer"].get("/api/v1/docs/")
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()
