"""The dashboards: thin views over ``programs.dashboards.selectors``.

Every page requires a signed-in user; acknowledging a flag also requires the
``programs.acknowledge_flag`` permission (analysts), and is refused with 403 otherwise.

Pages show what the viewer may see (``programs.access``): a programme or flag not released to a
restricted user's nation is answered 404, exactly like one that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from programs.access import released, released_flags
from programs.balance.flags import ACKNOWLEDGE_PERMISSION, FlagStateError, acknowledge_flag
from programs.bounds import parse_day
from programs.dashboards import selectors
from programs.dashboards.finders import PLOTLY_STATIC_PATH
from programs.dashboards.forms import AcknowledgeForm, FlagFilterForm, PairForm
from programs.models import Flag, Nation, Programme

FLAGS_PER_PAGE = 50


def _chart_context(**context) -> dict:
    return {"plotly_path": PLOTLY_STATIC_PATH, **context}


@require_GET
@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    data = selectors.portfolio(request.user)
    return render(request, "dashboards/portfolio.html", _chart_context(page=data, nav="portfolio"))


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
    page = selectors.programme_page(item, as_of, request.user)
    return render(
        request,
        "dashboards/programme.html",
        _chart_context(page=page, programme=item, nav="programmes"),
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
    page = selectors.pair_page(nations[a], nations[b], user=request.user)
    return render(
        request,
        "dashboards/pair.html",
        _chart_context(page=page, nav="pairs"),
    )


@require_GET
@login_required
def flags(request: HttpRequest) -> HttpResponse:
    form = FlagFilterForm(request.GET, choices=selectors.flag_filter_choices(request.user))
    if form.is_valid():
        queryset = selectors.filtered_flags(**form.cleaned_data, user=request.user)
    else:
        queryset = Flag.objects.none()
    paginator = Paginator(queryset, FLAGS_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboards/flags.html",
        {
            "form": form,
            "page_obj": page_obj,
            "flags": page_obj.object_list,
            "query": query.urlencode(),
            "nav": "flags",
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
