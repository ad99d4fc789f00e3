import pytest
from django.conf import settings
from django.core.cache import caches
from django.template.backends import jinja2 as jinja2_backend
from django.test import Client, override_settings
from django.test.signals import template_rendered

from tests.factories import UserFactory

pytest_plugins = ["tests.celery_fixtures", "tests.skip_guard", "tests.worlds"]
PLAIN_STATIC_STORAGE = "django.contrib.staticfiles.storage.StaticFilesStorage"


@pytest.fixture(autouse=True, scope="session")
def _plain_static_files(tmp_path_factory):
    """In-process tests link static files by their plain names, served by the finders (the live
    server's static handler cannot serve hashed names): production's hashed storage needs a
    collectstatic first, which the stack's smoke test and the fault tests run for real."""
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": PLAIN_STATIC_STORAGE}}
    with override_settings(STORAGES=plain, STATIC_ROOT=tmp_path_factory.mktemp("static")):
        yield


@pytest.fixture(autouse=True, scope="session")
def _jinja2_templates_recorded():
    """The test client records what a page rendered (`response.context`, `.templates`) only
    for Django's own templates, which the test environment instruments; the dashboards'
    Jinja2 templates are instrumented here the same way."""
    render = jinja2_backend.Template.render

    def recorded_render(self, context=None, request=None):
        template_rendered.send(sender=self, template=self.template, context=context or {})
        return render(self, context, request)

    jinja2_backend.Template.render = recorded_render
    yield
    jinja2_backend.Template.render = render


@pytest.fixture(autouse=True)
def _no_cached_reports():
    """Balance reports cached by an earlier test (Redis outlives the test database) never
    answer this one."""
    caches["reports"].clear()


@pytest.fixture
def analyst(db):
    return UserFactory(username="ana", groups=["analyst"])


@pytest.fixture
def viewer(db):
    return UserFactory(username="vic", groups=["viewer"])


@pytest.fixture
def analyst_client(analyst) -> Client:
    client = Client()
    client.force_login(analyst)
    return client


@pytest.fixture
def viewer_client(viewer) -> Client:
    client = Client()
    client.force_login(viewer)
    return client
