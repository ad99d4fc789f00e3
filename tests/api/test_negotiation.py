"""The API's content negotiation answers exactly as DRF's does, and the API serves what asked."""

import itertools

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from programs.api.negotiation import ContentNegotiation
from programs.api.renderers import CSVRenderer, XLSXRenderer
from programs.api.urls import router

ACCEPTS = [
    None,
    "",
    "*/*",
    " */* ",
    "*/*;q=0.8",
    "application/json",
    "application/json; indent=2",
    "application/*",
    "text/csv",
    "text/csv, application/json",
    "text/html",
]
FORMATS = [None, "", "json", "csv", "xlsx", "yaml"]


def renderer_lists() -> list[list]:
    """The renderers of every viewset of the API, and a list without JSON (an export-only
    view's), where no ``Accept`` must not pick JSON."""
    lists = [
        [renderer() for renderer in viewset.renderer_classes] for _, viewset, _ in router.registry
    ]
    return [*lists, [renderer() for renderer in (CSVRenderer, XLSXRenderer)]]


def negotiate(negotiation, accept, fmt, renderers, suffix):
    query = {} if fmt is None else {"format": fmt}
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/api/v1/workshare/", query, **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, suffix)
    except NotAcceptable:
        return "406"
    except Exception as error:  # Http404 for an unknown format
        return type(error).__name__
    return type(renderer), media_type


@pytest.mark.parametrize("suffix", [None, "csv"])
def test_negotiation_picks_what_drf_picks_for_every_accept_and_format(suffix):
    ours, drfs = ContentNegotiation(), DefaultContentNegotiation()
    for renderers, accept, fmt in itertools.product(renderer_lists(), ACCEPTS, FORMATS):
        expected = negotiate(drfs, accept, fmt, renderers, suffix)
        assert negotiate(ours, accept, fmt, renderers, suffix) == expected, (accept, fmt)


def test_the_api_answers_each_kind_of_accept_as_asked(world, viewer_api):
    path = "/api/v1/programmes/GCAP/balance/"
    plain = viewer_api.get(path)
    assert plain.status_code == 200
    assert plain.headers["Content-Type"] == "application/json"
    assert viewer_api.get(path, HTTP_ACCEPT="*/*").content == plain.content
    assert (
        viewer_api.get(path, HTTP_ACCEPT="text/csv").headers["Content-Type"].startswith("text/csv")
    )
    assert viewer_api.get(path, {"format": "csv"}).headers["Content-Type"].startswith("text/csv")
    assert viewer_api.get(path, HTTP_ACCEPT="text/html").status_code == 406
