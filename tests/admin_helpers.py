"""Helpers for the admin tests: logged-in HTTPS clients and admin URLs."""

from django.test import Client
from django.urls import reverse


def https_client(user) -> Client:
    """A test client logged in as ``user`` whose requests arrive over HTTPS through the proxy,
    as in production (SECURE_SSL_REDIRECT is on outside DEBUG)."""
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user)
    return client


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def management_data(response) -> dict[str, str]:
    """The management form fields of every inline formset on an admin add/change page,
    as the browser would post them for a page whose inline rows the test adds itself."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {
                f"{formset.prefix}-TOTAL_FORMS": "0",
                f"{formset.prefix}-INITIAL_FORMS": str(formset.initial_form_count()),
                f"{formset.prefix}-MIN_NUM_FORMS": "0",
                f"{formset.prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def inline_rows(prefix: str, rows: list[dict]) -> dict[str, str]:
    """Posted fields of new inline rows under ``prefix`` with the matching TOTAL_FORMS."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows))}
    for index, row in enumerate(rows):
        for field, value in row.items():
            data[f"{prefix}-{index}-{field}"] = "" if value is None else str(value)
    return data


def programme_with_partners(code: str = "DEMO", nations: tuple[str, ...] = ("AAA", "BBB")):
    """A programme whose nations all take part, each with a national prime."""
    from tests import factories

    programme = factories.ProgrammeFactory(code=code)
    organisations = {}
    for nation_code in nations:
        nation = factories.NationFactory(code=nation_code, name=f"Nation {nation_code}")
        factories.ParticipationFactory(programme=programme, nation=nation)
        organisations[nation_code] = factories.OrganisationFactory(
            name=f"{nation_code} Aero", nation=nation
        )
    return programme, organisations


def change_page_data(client, url: str, edits: dict[str, dict[str, str]]) -> dict:
    """What the browser posts for the change page at ``url``: the main form and every inline
    row as shown, with ``edits`` (inline prefix -> {"<row>-<field>": value}) applied."""
    page = client.get(url)
    data: dict = {}
    inlines = page.context.get("inline_admin_formsets") or []  # none on a revert page
    forms = [page.context["adminform"].form]
    for inline in inlines:
        formset = inline.formset
        forms.extend(formset.forms)
        management = formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = str(management[name].value() or field.initial or 0)
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.forms))
    for form in forms:
        for name in form.fields:
            key = form.add_prefix(name)
            if key in data:
                continue
            value = form[name].value()
            if isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = "" if value is None else str(value)
    for inline in inlines:
        for key, value in edits.get(inline.formset.prefix, {}).items():
            data[f"{inline.formset.prefix}-{key}"] = value
    return data
