"""The dashboards: thin views over what each page shows (``portfolio``, ``programme``, ``pair``;
the flag lists from ``programs.flags.selectors``).

Every page requires a signed-in user; acknowledging a flag also requires the
``programs.acknowledge_flag`` permission (analysts), and is refused with 403 otherwise.

Pages show what the viewer may see (``programs.access``): a programme or flag not released to a
restricted user's nation is answered 404, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from programs import changelog
from programs.access import released, released_flags
from programs.balance.flags import ACKNOWLEDGE_PERMISSION, FlagStateError, acknowledge_flag
from programs.bounds import parse_day
from programs.dashboards.downloads import downloads, section_downloads
from programs.dashboards.exports import PAIR_SECTIONS, PORTFOLIO_SECTIONS, PROGRAMME_SECTIONS
from programs.dashboards.finders import PLOTLY_STATIC_PATH
from programs.dashboards.forms import (
    AcknowledgeForm,
    ChangeLogFilterForm,
    PairForm,
    SubscriptionForm,
    flag_filters,
    saved_query,
)
from programs.dashboards.pair import pair_page
from programs.dashboards.portfolio import portfolio_page
from programs.dashboards.programme import programme_page
from programs.feeds import describe
from programs.flags.selectors import flag_filter_choices
from programs.models import Flag, Nation, Programme, SavedFlagView, Subscription, Webhook
from programs.subscriptions import feed_url, rotate_feed
from programs.webhooks import (
    ADD_PERMISSION,
    WebhookRefused,
    create_webhook,
    recent_deliveries,
    subscriptions_with_webhooks,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    class SignedInRequest(HttpRequest):
        """The request of a ``login_required`` view: its user is signed in."""

        user: User


FLAGS_PER_PAGE = 50
CHANGES_PER_PAGE = 50


def _chart_context(**context) -> dict:
    return {"plotly_path": PLOTLY_STATIC_PATH, **context}


@require_GET
@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    data = portfolio_page(request.user)
    return render(
        request,
        "dashboards/portfolio.html",
        _chart_context(
            page=data,
            nav="portfolio",
            global_downloads=downloads(reverse("api:global-returns"), {}),
            section_downloads=section_downloads(
                reverse("api:portfolio-report"), PORTFOLIO_SECTIONS, {}
            ),
        ),
    )


@require_GET
@login_required
def programme(request: HttpRequest, code: str) -> HttpResponse:
    item = get_object_or_404(released(Programme.objects.all(), request.user), code=code)
    as_of = None
    if request.GET.get("as_of"):
        try:
            as_of = parse_day(request.GET["as_of"])
        except ValueError as refused:
            messages.error(request, f"as_of: {refused} Showing today.")
    page = programme_page(item, as_of, request.user)
    balance_url = reverse("api:programme-balance", args=[item.code])
    return render(
        request,
        "dashboards/programme.html",
        _chart_context(
            page=page,
            programme=item,
            nav="programmes",
            page_url=request.build_absolute_uri(),
            balance_downloads=downloads(
                balance_url, {"as_of": page["as_of"].isoformat(), "section": "nations"}
            ),
            tie_downloads=downloads(
                balance_url, {"as_of": page["as_of"].isoformat(), "section": "pairs"}
            ),
            flag_downloads=downloads(
                reverse("api:flag-list"), {"programme": item.code, "status": "live"}
            ),
            section_downloads=section_downloads(
                balance_url, PROGRAMME_SECTIONS, {"as_of": page["as_of"].isoformat()}
            ),
        ),
    )


@require_GET
@login_required
def pair_picker(request: HttpRequest) -> HttpResponse:
    """The 'compare two nations' form: redirects to the pair page."""
    nations = list(Nation.objects.order_by("name").values_list("code", "name"))
    form = PairForm(request.GET or None, nations=nations)
    if form.is_bound and form.is_valid():
        return redirect("dashboards:pair", a=form.cleaned_data["a"], b=form.cleaned_data["b"])
    return render(request, "dashboards/pair_picker.html", {"form": form, "nav": "pairs"})


@require_GET
@login_required
def pair(request: HttpRequest, a: str, b: str) -> HttpResponse:
    if a == b:
        messages.error(request, "Pick two different nations.")
        return redirect("dashboards:pair-picker")
    nations = {n.code: n for n in Nation.objects.filter(code__in=[a, b])}
    if a not in nations or b not in nations:
        missing = ", ".join(code for code in (a, b) if code not in nations)
        return render(
            request,
            "dashboards/not_found.html",
            {"message": f"No nation with code {missing}.", "nav": "pairs"},
            status=404,
        )
    page = pair_page(nations[a], nations[b], user=request.user)
    return render(
        request,
        "dashboards/pair.html",
        _chart_context(
            page=page,
            nav="pairs",
            section_downloads=section_downloads(
                reverse("api:pair-report", args=[a, b]),
                PAIR_SECTIONS,
                {"as_of": page["today"].isoformat()},
            ),
        ),
    )


@require_GET
@login_required
def flags(request: SignedInRequest) -> HttpResponse:
    choices = flag_filter_choices(request.user)
    filterset = flag_filters(request.GET, user=request.user, choices=choices)
    queryset = filterset.qs if filterset.is_valid() else Flag.objects.none()
    paginator = Paginator(queryset, FLAGS_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    filters = filterset.data.copy()
    filters.pop("page", None)
    saved = SavedFlagView.objects.filter(user=request.user)
    return render(
        request,
        "dashboards/flags.html",
        {
            "form": filterset.form,
            "saved_views": [
                (view, reverse("dashboards:saved-flag-view", args=[view.token])) for view in saved
            ],
            "view_query": saved_query(request.GET),
            "page_obj": page_obj,
            "flags": page_obj.object_list,
            "query": query.urlencode(),
            "downloads": downloads(reverse("api:flag-list"), filters),
            "nav": "flags",
        },
    )


@require_POST
@login_required
def save_flag_view(request: SignedInRequest) -> HttpResponse:
    """Keep the flags page's current filters under a name."""
    name = request.POST.get("name", "").strip()[:100]
    query = saved_query(QueryDict(request.POST.get("query", "")))
    if not name:
        messages.error(request, "The view was not saved: give it a name.")
    elif SavedFlagView.objects.filter(user=request.user, name=name).exists():
        messages.error(request, f"The view was not saved: you already have one named “{name}”.")
    else:
        SavedFlagView.objects.create(user=request.user, name=name, query=query)
        messages.success(request, f"View “{name}” saved; share it with its link.")
    return HttpResponseRedirect(f"{reverse('dashboards:flags')}?{query}")


@require_GET
@login_required
def saved_flag_view(request: HttpRequest, token: str) -> HttpResponse:
    """A saved view's shareable link: the flags page with its filters (each reader sees the
    flags they may see)."""
    view = get_object_or_404(SavedFlagView, token=token)
    return HttpResponseRedirect(f"{reverse('dashboards:flags')}?{view.query}")


@require_POST
@login_required
def delete_flag_view(request: SignedInRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedFlagView.objects.filter(user=request.user), pk=pk)
    view.delete()
    messages.success(request, f"View “{view.name}” deleted.")
    return redirect("dashboards:flags")


@require_GET
@login_required
def changes(request: HttpRequest) -> HttpResponse:
    """The change log: every change to the tracked records the user may see, newest first."""
    form = ChangeLogFilterForm(request.GET or None, user=request.user)
    valid = not form.is_bound or form.is_valid()
    filters = form.filters() if form.is_bound and valid else changelog.ChangeFilters()
    rows: QuerySet[Any, dict[str, Any]] | list[dict[str, Any]] = (
        changelog.change_rows(filters, request.user) if valid else []
    )
    page_obj = Paginator(rows, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboards/changes.html",
        {
            "form": form,
            "page_obj": page_obj,
            "changes": changelog.changes_on_page(list(page_obj.object_list), request.user),
            "query": query.urlencode(),
            "downloads": downloads(reverse("api:changes"), query) if valid else [],
            "nav": "changes",
        },
    )


@login_required
def subscriptions(request: SignedInRequest) -> HttpResponse:
    """The user's flag subscriptions, and a form to add one (POST)."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    form = SubscriptionForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Subscribed.")
        return redirect("dashboards:subscriptions")
    own = subscriptions_with_webhooks(request.user)
    rows = [(item, describe(item), feed_url(item)) for item in own]
    return render(
        request,
        "dashboards/subscriptions.html",
        {
            "form": form,
            "rows": rows,
            "subscription_downloads": downloads(reverse("api:subscription-list"), {}),
            "can_add_webhooks": request.user.has_perm(ADD_PERMISSION),
            "nav": "subscriptions",
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
@login_required
def subscription_action(request: SignedInRequest, pk: int, action: str) -> HttpResponse:
    """Delete one of the user's subscriptions, or give its feed a new secret URL."""
    item = get_object_or_404(Subscription.objects.filter(user=request.user), pk=pk)
    if action == "delete":
        item.delete()
        messages.success(request, "Subscription removed.")
    else:
        rotate_feed(item)
        messages.success(request, "The feed has a new address; the old one no longer works.")
    return redirect("dashboards:subscriptions")


@require_POST
@login_required
def webhook_add(request: SignedInRequest, pk: int) -> HttpResponse:
    """A webhook on one of the user's subscriptions (analysts only; 403 for everyone else)."""
    if not request.user.has_perm(ADD_PERMISSION):
        raise PermissionDenied("Only analysts create webhooks.")
    item = get_object_or_404(Subscription.objects.filter(user=request.user), pk=pk)
    try:
        webhook = create_webhook(item, request.POST.get("url", "").strip())
    except WebhookRefused as refused:
        messages.error(request, f"The webhook was not added: {refused}")
    else:
        messages.success(
            request,
            f"Webhook added. Its secret, shown this once, signs every delivery: {webhook.secret}",
        )
    return redirect(f"{reverse('dashboards:subscriptions')}#subscription-{item.pk}")


@require_POST
@login_required
def webhook_delete(request: SignedInRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook.objects.filter(subscription__user=request.user), pk=pk)
    webhook.delete()
    messages.success(request, f"Webhook to {webhook.url} deleted.")
    return redirect("dashboards:subscriptions")


@require_GET
@login_required
def webhook_deliveries(request: SignedInRequest, pk: int) -> HttpResponse:
    """A webhook's delivery log: its latest attempts, newest first, with the answers' codes."""
    webhook = get_object_or_404(
        Webhook.objects.filter(subscription__user=request.user).select_related("subscription"),
        pk=pk,
    )
    return render(
        request,
        "dashboards/webhook_deliveries.html",
        {
            "webhook": webhook,
            "deliveries": list(recent_deliveries(webhook)),
            "delivery_downloads": downloads(reverse("api:webhook-deliveries", args=[pk]), {}),
            "nav": "subscriptions",
        },
    )


@require_POST
@login_required
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge a live flag with a note (analysts only; 403 for everyone else)."""
    if not request.user.has_perm(ACKNOWLEDGE_PERMISSION):
        raise PermissionDenied("You may not acknowledge flags.")
    flag = get_object_or_404(released_flags(Flag.objects.all(), request.user), pk=pk)
    form = AcknowledgeForm(request.POST)
    back = _safe_next(request, form.data.get("next"))
    if not form.is_valid():
        messages.error(request, f"Flag {flag.pk} not acknowledged: write a note saying why.")
        return HttpResponseRedirect(f"{back}#flag-{flag.pk}")
    try:
        acknowledge_flag(flag, request.user, form.cleaned_data["note"])
    except FlagStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Flag {flag.pk} acknowledged.")
    return HttpResponseRedirect(f"{back}#flag-{flag.pk}")


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboards:flags")
