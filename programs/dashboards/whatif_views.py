"""The What if page of a programme and its saved drafts (thin views over ``programs.whatif``).

Evaluating a draft writes nothing, so it is open to analysts and viewers alike; it is a POST
(the draft can be long) behind the CSRF check. Saving, copying and deleting drafts follow
``programs.whatif.drafts`` (only the author changes or deletes one).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from programs.access import released
from programs.dashboards.downloads import Download, downloads, section_downloads
from programs.dashboards.exports import whatif_tables
from programs.dashboards.finders import PLOTLY_STATIC_PATH
from programs.dashboards.whatif import DraftForm, WhatIfForm, whatif_page
from programs.models import Programme, WhatIfDraft
from programs.whatif.drafts import (
    copy_draft,
    delete_draft,
    drafts_visible_to,
    may_change,
    run_draft,
    save_draft,
)
from programs.whatif.evaluate import DraftRefused, WhatIf, evaluate_draft


def _programme(request: HttpRequest, code: str) -> Programme:
    return get_object_or_404(released(Programme.objects.all(), request.user), code=code)


def result_downloads(
    programme: Programme, opened: WhatIfDraft | None, document: str, result: WhatIf | None
) -> dict[str, list[Download]] | None:
    """The Download links of the comparison tables, by section, when the result shown is a saved
    draft's as it is saved (the API evaluates saved drafts); None for an unsaved draft."""
    if result is None or opened is None or document != opened.document:
        return None
    return section_downloads(
        reverse("api:whatif-draft-result", args=[opened.pk]),
        whatif_tables(result, programme.code),
        {"as_of": result.as_of.isoformat()},
    )


@require_http_methods(["GET", "POST"])
@login_required
def what_if(request: HttpRequest, code: str) -> HttpResponse:
    programme = _programme(request, code)
    drafts = drafts_visible_to(request.user).filter(programme=programme)
    opened = None
    result = None
    errors: list[str] = []
    document = ""
    if request.method == "POST":
        # A reopened draft stays the one being worked on, so saving changes it.
        if request.POST.get("draft", "").isdigit():
            opened = drafts.filter(pk=request.POST["draft"]).first()
        form = WhatIfForm(request.POST, programme=programme, user=request.user)
        if form.is_valid():
            document = form.document_text()
            try:
                result = evaluate_draft(
                    document, as_of=form.cleaned_data.get("as_of"), user=request.user
                )
            except DraftRefused as exc:
                errors = exc.errors
    else:
        initial = {"role_nation": request.GET.get("nation", "")}
        if request.GET.get("draft", "").isdigit():
            opened = get_object_or_404(drafts, pk=request.GET["draft"])
            document = initial["document"] = opened.document
            try:
                result = run_draft(request.user, opened)
            except DraftRefused as exc:
                errors = exc.errors
        form = WhatIfForm(initial=initial, programme=programme, user=request.user)
    save_form = DraftForm(
        auto_id="save-%s",
        initial={
            "document": document,
            "name": opened.name if opened else "",
            "note": opened.note if opened else "",
            "draft": opened.pk if opened and may_change(request.user, opened) else None,
        },
    )
    return render(
        request,
        "dashboards/what_if.html",
        {
            "plotly_path": PLOTLY_STATIC_PATH,
            "programme": programme,
            "form": form,
            "save_form": save_form,
            "document": document,
            "errors": errors,
            "opened": opened,
            "drafts": list(drafts),
            "result_downloads": result_downloads(programme, opened, document, result),
            "drafts_downloads": downloads(
                reverse("api:whatif-draft-list"), {"programme__code": programme.code}
            ),
            "page": whatif_page(programme, result),
            "may_change": lambda draft: may_change(request.user, draft),
            "nav": "programmes",
        },
    )


def _page(programme: Programme, draft=None) -> str:
    url = reverse("dashboards:what-if", args=[programme.code])
    return f"{url}?draft={draft.pk}" if draft is not None else url


@require_POST
@login_required
def save(request: HttpRequest, code: str) -> HttpResponse:
    programme = _programme(request, code)
    form = DraftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the draft a name to save it.")
        return redirect(_page(programme))
    data = form.cleaned_data
    existing = None
    if data.get("draft"):
        existing = get_object_or_404(drafts_visible_to(request.user), pk=data["draft"])
    try:
        draft = save_draft(
            request.user,
            name=data["name"],
            note=data["note"],
            document=data["document"],
            programme=programme,
            draft=existing,
        )
    except ValidationError as exc:
        messages.error(request, "Draft not saved: " + " ".join(exc.messages))
        return redirect(_page(programme))
    messages.success(request, f"Draft “{draft.name}” saved.")
    return redirect(_page(programme, draft))


@require_POST
@login_required
def copy(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    programme = _programme(request, code)
    draft = get_object_or_404(drafts_visible_to(request.user), pk=pk)
    try:
        copied = copy_draft(request.user, draft)
    except ValidationError as exc:
        messages.error(request, "Draft not copied: " + " ".join(exc.messages))
        return redirect(_page(programme))
    messages.success(request, f"Copied as “{copied.name}”.")
    return redirect(_page(programme, copied))


@require_POST
@login_required
def delete(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    programme = _programme(request, code)
    draft = get_object_or_404(drafts_visible_to(request.user), pk=pk)
    if not may_change(request.user, draft):
        raise PermissionDenied("Only the author of a draft may delete it.")
    delete_draft(request.user, draft)
    messages.success(request, f"Draft “{draft.name}” deleted.")
    return redirect(_page(programme))
