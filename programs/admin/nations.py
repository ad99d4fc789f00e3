"""Admin of nations, organisations (joint ventures with their ownership stakes) and agreements."""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from programs.admin.base import CheckedInlineFormSet, ReleasedQuerysetMixin, TrackedAdmin
from programs.models import Agreement, Nation, Organisation, OwnershipStake
from programs.models.nations import agreement_nations_error, stake_total_error

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldOpts

PROVENANCE_FIELDSET: "tuple[str, _FieldOpts]" = ("Provenance", {"fields": ("source", "confidence")})
RELEASABILITY_FIELDSET: "tuple[str, _FieldOpts]" = ("Releasability", {"fields": ("releasable_to",)})


@admin.register(Nation)
class NationAdmin(TrackedAdmin):
    list_display = ("code", "name", "confidence")
    list_filter = ("confidence",)
    search_fields = ("code", "name")
    ordering = ("name",)


class StakeInlineFormSet(CheckedInlineFormSet):
    """A joint venture's stakes, checked together: they must sum to 100 %."""

    checks_siblings_as_a_set = True

    def clean(self) -> None:
        super().clean()
        venture = self.instance
        kept = self.kept_forms()
        if venture.kind != Organisation.Kind.JOINT_VENTURE:
            if kept:
                raise ValidationError("Only a joint venture has ownership stakes.")
            return
        if not kept:
            return
        total = sum(
            (form.cleaned_data.get("percent") or Decimal("0") for form in kept), Decimal("0")
        )
        error = stake_total_error(venture.name, total)
        if error:
            raise ValidationError(error)


class OwnershipStakeInline(ReleasedQuerysetMixin, admin.TabularInline):
    model = OwnershipStake
    fk_name = "venture"
    formset = StakeInlineFormSet
    fields = ("owner", "percent", "source", "confidence")
    autocomplete_fields = ("owner",)
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(TrackedAdmin):
    list_display = ("name", "short_name", "kind", "nation", "confidence")
    list_filter = ("kind", "nation", "confidence")
    list_select_related = ("nation",)
    search_fields = ("name", "short_name", "nation__code", "nation__name")
    autocomplete_fields = ("nation",)
    inlines = (OwnershipStakeInline,)
    fieldsets = (
        (None, {"fields": ("name", "short_name", "kind", "nation")}),
        PROVENANCE_FIELDSET,
        RELEASABILITY_FIELDSET,
    )


@admin.register(OwnershipStake)
class OwnershipStakeAdmin(TrackedAdmin):
    list_display = ("venture", "owner", "percent", "confidence", "source")
    list_filter = ("confidence",)
    list_select_related = ("venture", "owner")
    search_fields = ("venture__name", "owner__name", "owner__short_name")
    autocomplete_fields = ("venture", "owner")


class AgreementForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = (
            "name",
            "kind",
            "nations",
            "signed_on",
            "ended_on",
            "source",
            "confidence",
            "releasable_to",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        nations = cleaned.get("nations")
        if nations is not None:
            error = agreement_nations_error(len(nations))
            if error:
                self.add_error("nations", error)
        return cleaned


@admin.register(Agreement)
class AgreementAdmin(TrackedAdmin):
    form = AgreementForm
    list_display = ("name", "kind", "nation_codes", "signed_on", "ended_on", "confidence", "source")
    list_filter = ("kind", "nations", "confidence")
    search_fields = ("name", "nations__code", "nations__name")
    autocomplete_fields = ("nations",)
    date_hierarchy = "signed_on"
    fieldsets = (
        (None, {"fields": ("name", "kind", "nations", "signed_on", "ended_on")}),
        PROVENANCE_FIELDSET,
        RELEASABILITY_FIELDSET,
    )

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).prefetch_related("nations")

    @admin.display(description="nations")
    def nation_codes(self, agreement: Agreement) -> str:
        return ", ".join(sorted(nation.code for nation in agreement.nations.all()))
