"""The dashboards over HTTP: sign-in, permissions, acknowledging, filters, bad input."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from programs.dashboards import finders as chart_library
from programs.dashboards.finders import PLOTLY_STATIC_PATH
from programs.dashboards.pair import pair_page
from programs.models import Flag, FlagEvent
from tests import factories

PAGES = ["/", "/programmes/GCAP/", "/nations/JPN/GBR/", "/nations/", "/flags/"]


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def gcap(db):
    programme = factories.ProgrammeFactory(code="GCAP", name="Global Combat Air Programme")
    nations = {
        code: factories.NationFactory(code=code, name=name)
        for code, name in (("GBR", "United Kingdom"), ("JPN", "Japan"), ("ITA", "Italy"))
    }
    for nation in nations.values():
        factories.ParticipationFactory(programme=programme, nation=nation)
    return programme, nations


def make_flag(programme, nation, *, counterparts=(), rule="outvoted", status="open", **extra):
    now = timezone.now()
    flag = Flag.objects.create(
        rule=rule,
        programme=programme,
        nation=nation,
        severity=extra.pop("severity", Flag.Severity.WARNING),
        status=status,
        metric="outvoted_rate",
        value=Decimal("0.4"),
        threshold=Decimal("0.3"),
        explanation=f"{nation.name} was outvoted.",
        fingerprint=f"{rule}|{programme.code if programme else '-'}|{nation.code}|{len(counterparts)}",
        first_seen_at=now,
        last_seen_at=now,
        resolved_at=now if status == "resolved" else None,
        **extra,
    )
    flag.counterparts.set(counterparts)
    return flag


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_every_page_sends_an_anonymous_visitor_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_login_page_signs_in_and_logout_needs_a_post(client, analyst):
    assert client.get("/login/").status_code == 200
    response = client.post(
        "/login/", {"username": "ana", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_viewer_post_to_acknowledge_is_refused_and_changes_nothing(viewer_client, gcap):
    programme, nations = gcap
    flag = make_flag(programme, nations["JPN"])
    response = viewer_client.post(f"/flags/{flag.pk}/acknowledge/", {"note": "seen"})
    assert response.status_code == 403
    flag.refresh_from_db()
    assert flag.status == "open" and flag.note == "" and flag.acknowledged_by is None
    assert not FlagEvent.objects.filter(flag=flag).exists()
    page = viewer_client.get("/programmes/GCAP/")
    assert b"ack-form" not in page.content and b"Acknowledge" not in page.content


@pytest.mark.django_db
def test_analyst_acknowledges_with_a_note_and_goes_back_where_they_were(
    analyst_client, analyst, gcap
):
    programme, nations = gcap
    flag = make_flag(programme, nations["JPN"])
    response = analyst_client.post(
        f"/flags/{flag.pk}/acknowledge/",
        {"note": "  Known: raised at the board.  ", "next": "/programmes/GCAP/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/programmes/GCAP/#flag-{flag.pk}"
    flag.refresh_from_db()
    assert flag.status == "acknowledged"
    assert flag.note == "Known: raised at the board."
    assert flag.acknowledged_by == analyst
    page = analyst_client.get("/programmes/GCAP/")
    assert b"Known: raised at the board." in page.content


@pytest.mark.django_db
def test_acknowledging_without_a_note_or_a_resolved_flag_changes_nothing(analyst_client, gcap):
    programme, nations = gcap
    flag = make_flag(programme, nations["JPN"])
    response = analyst_client.post(f"/flags/{flag.pk}/acknowledge/", {"note": "  "}, follow=True)
    assert "write a note" in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == "open"

    resolved = make_flag(programme, nations["GBR"], status="resolved")
    response = analyst_client.post(
        f"/flags/{resolved.pk}/acknowledge/", {"note": "too late"}, follow=True
    )
    assert "only an open flag can be acknowledged" in response.content.decode()
    resolved.refresh_from_db()
    assert resolved.status == "resolved" and resolved.note == ""


@pytest.mark.django_db
def test_acknowledge_never_redirects_off_site_and_refuses_get(analyst_client, gcap):
    programme, nations = gcap
    flag = make_flag(programme, nations["JPN"])
    response = analyst_client.post(
        f"/flags/{flag.pk}/acknowledge/", {"note": "ok", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/flags/#flag-{flag.pk}"
    assert analyst_client.get(f"/flags/{flag.pk}/acknowledge/").status_code == 405
    assert analyst_client.post("/flags/999999/acknowledge/", {"note": "x"}).status_code == 404


@pytest.mark.django_db
def test_flag_filters_match_programme_flagged_nation_counterpart_rule_severity_and_status(
    analyst_client, gcap
):
    programme, nations = gcap
    other = factories.ProgrammeFactory(code="OTHER")
    bloc = make_flag(
        programme,
        nations["JPN"],
        counterparts=[nations["GBR"], nations["ITA"]],
        rule="bloc_sidelining",
        severity="critical",
    )
    outvoted = make_flag(programme, nations["ITA"])
    elsewhere = make_flag(other, nations["GBR"])
    resolved = make_flag(programme, nations["GBR"], rule="workshare_return", status="resolved")

    def shown(query: str) -> set[int]:
        response = analyst_client.get(f"/flags/?{query}")
        assert response.status_code == 200
        return {flag.pk for flag in response.context["flags"]}

    assert shown("") == {bloc.pk, outvoted.pk, elsewhere.pk}
    assert shown("status=") == {bloc.pk, outvoted.pk, elsewhere.pk, resolved.pk}
    assert shown("programme=GCAP") == {bloc.pk, outvoted.pk}
    assert shown("nation=GBR") == {elsewhere.pk}
    assert shown("counterpart=GBR") == {bloc.pk}
    assert shown("nation=JPN&counterpart=ITA") == {bloc.pk}
    assert shown("programme=-") == set()
    assert shown("rule=bloc_sidelining") == {bloc.pk}
    assert shown("severity=critical") == {bloc.pk}
    assert shown("status=resolved") == {resolved.pk}
    response = analyst_client.get("/flags/?severity=apocalyptic")
    assert response.status_code == 200
    assert "severity" in response.context["form"].errors
    assert list(response.context["flags"]) == []


@pytest.mark.django_db
def test_unknown_programme_or_nation_is_a_404_and_a_nation_with_itself_is_refused(
    analyst_client, gcap
):
    assert analyst_client.get("/programmes/NOPE/").status_code == 404
    assert analyst_client.get("/nations/JPN/XXX/").status_code == 404
    response = analyst_client.get("/nations/JPN/JPN/")
    assert response.status_code == 302 and response["Location"] == "/nations/"
    response = analyst_client.get("/nations/?a=JPN&b=GBR")
    assert response.status_code == 302 and response["Location"] == "/nations/JPN/GBR/"
    response = analyst_client.get("/nations/?a=JPN&b=JPN")
    assert response.status_code == 200 and "two different nations" in response.content.decode()


@pytest.mark.django_db
def test_programme_page_takes_an_as_of_day_and_explains_a_bad_one(analyst_client, gcap):
    response = analyst_client.get("/programmes/GCAP/?as_of=2024-01-31")
    assert response.context["page"]["as_of"] == datetime.date(2024, 1, 31)
    response = analyst_client.get("/programmes/GCAP/?as_of=31/01/2024")
    assert response.status_code == 200
    assert response.context["page"]["as_of"] == timezone.localdate()
    assert "is not a date" in response.content.decode()


def test_the_chart_library_is_plotlys_cartesian_bundle_as_a_static_file():
    found = finders.find(PLOTLY_STATIC_PATH)
    assert found and found.endswith("plotly.min.js")
    with open(found, "rb") as bundle:
        assert b"plotly.js (cartesian - minified)" in bundle.read(200)
    listed = [
        path
        for finder in finders.get_finders()
        for path, _storage in finder.list([])
        if path.endswith("plotly.min.js")
    ]
    assert listed == [PLOTLY_STATIC_PATH]


def test_a_missing_chart_library_fails_the_system_check_saying_how_to_fetch_it(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(chart_library, "PLOTLY_FILE", tmp_path / "plotly.min.js")
    with pytest.raises(SystemCheckError, match=r"bash deploy/fetch-assets\.sh"):
        call_command("check")


@pytest.mark.django_db
def test_pages_link_no_script_or_style_from_another_host(analyst_client, gcap):
    for url in ("/", "/programmes/GCAP/", "/nations/JPN/GBR/", "/flags/"):
        response = analyst_client.get(url)
        html = response.content.decode()
        # The printed brief names the page's own address (this host), and nothing else may.
        own = response.wsgi_request.build_absolute_uri()
        html = html.replace(f'<a href="{own}">{own}</a>', "")
        assert "https://" not in html and "http://" not in html, url
        assert "/static/dashboards/vendor/plotly.min.js" in html or url == "/flags/"


@pytest.mark.django_db
def test_pair_verdict_is_built_from_the_figures(gcap):
    programme, nations = gcap
    gbr, jpn = nations["GBR"], nations["JPN"]
    bae = factories.OrganisationFactory(name="BAE Systems", nation=gbr)
    mhi = factories.OrganisationFactory(name="MHI", nation=jpn)
    for nation in (gbr, jpn):
        factories.ContributionFactory(programme=programme, nation=nation, amount=500)
    package = factories.WorkPackageFactory(programme=programme)
    factories.WorkshareAllocationFactory(work_package=package, organisation=bae, amount=600)
    factories.WorkshareAllocationFactory(work_package=package, organisation=mhi, amount=200)
    factories.TechTransferMilestoneFactory(
        programme=programme,
        provider=mhi,
        recipient=bae,
        status="achieved",
        achieved_on=datetime.date(2024, 1, 1),
        weight=4,
    )
    factories.LeadershipRoleFactory(programme=programme, nation=gbr, weight=5)
    factories.LeadershipRoleFactory(programme=programme, nation=jpn, weight=1)

    page = pair_page(jpn, gbr)
    verdict = page["verdict"]
    assert verdict.startswith("Japan gives the United Kingdom more than it gets (3 of 3 measures")
    # Japan's half of the funding pays for half of the 600 placed with British industry.
    assert "GBP 300" in verdict or "EUR 300" in verdict
    assert "received technology of weight 0 from the United Kingdom and delivered 4" in verdict
    assert "holds 1 of 6 lead-role weight" in verdict

    reverse = pair_page(gbr, jpn)["verdict"]
    assert reverse.startswith("The United Kingdom gets more from Japan than it gives")
