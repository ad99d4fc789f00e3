"""Every changelist of the project's admin costs the same number of queries whatever the data
size: list_select_related and prefetches cover everything the list shows."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.admin_helpers import admin_url, https_client

PROJECT_APPS = {"programs"}

REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in PROJECT_APPS),
    key=lambda model: model.__name__,
)


def factory_for(model):
    factory = getattr(factories, f"{model.__name__}Factory", None)
    if factory is None:
        pytest.fail(f"tests/factories.py has no {model.__name__}Factory to fill its changelist")
    return factory


def changelist_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


#: Models with no admin of their own: flag events show inline on their flag; pending
#: conditions and missed on-change scans are the scans' internal bookkeeping.
NOT_REGISTERED = {"FlagEvent", "MissedScan", "PendingCondition"}
#: Each user's own settings, managed on the dashboards and in the API, not in the admin.
NOT_REGISTERED |= {"Subscription", "SubscriptionNotice", "Webhook", "WebhookDelivery"}
NOT_REGISTERED |= {"SavedFlagView"}


def test_every_project_model_is_registered():
    models = {
        model.__name__
        for model in apps.get_app_config("programs").get_models()
        if not model.__name__.startswith("Historical")
    }
    assert {model.__name__ for model in REGISTERED} == models - NOT_REGISTERED


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model.__name__)
def test_changelist_query_count_does_not_grow_with_rows(model):
    user = factories.UserFactory(username="counter", is_superuser=True)
    client = https_client(user)
    url = admin_url(model, "changelist")
    factory = factory_for(model)

    factory.create_batch(3)
    client.get(url)  # warm caches (content types, sessions) out of the measurement
    with_three = changelist_queries(client, url)
    factory.create_batch(27)
    with_thirty = changelist_queries(client, url)

    assert model.objects.count() >= 30
    assert len(with_thirty) == len(with_three), "\n".join(with_thirty)
