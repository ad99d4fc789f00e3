"""The API serves what the client asks for (DRF's content negotiation)."""


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
