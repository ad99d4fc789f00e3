from typing import cast

from django import forms

from programs.balance.thresholds import RULE_CHOICES
from programs.models import Flag

STATUS_CHOICES = [
    ("live", "Open or acknowledged"),
    ("", "Any status"),
    *Flag.Status.choices,
]


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """The form's field ``name``, declared a ChoiceField (its choices are set per request)."""
    return cast(forms.ChoiceField, form.fields[name])


class FlagFilterForm(forms.Form):
    """The flags page's filters (GET). Unknown values are form errors, never a 500."""

    programme = forms.ChoiceField(required=False)
    nation = forms.ChoiceField(required=False)
    rule = forms.ChoiceField(required=False, choices=[("", "Any rule"), *RULE_CHOICES])
    severity = forms.ChoiceField(
        required=False, choices=[("", "Any severity"), *Flag.Severity.choices]
    )
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)

    def __init__(self, data, *, choices: dict[str, list[tuple[str, str]]]):
        data = data.copy()
        data.setdefault("status", "live")
        super().__init__(data)
        choice_field(self, "programme").choices = [
            ("", "Any programme"),
            ("-", "Cross-programme"),
            *choices["programme"],
        ]
        choice_field(self, "nation").choices = [("", "Any nation"), *choices["nation"]]


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the flag is acknowledged: what is known, who follows it up.",
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class PairForm(forms.Form):
    a = forms.ChoiceField(label="Nation")
    b = forms.ChoiceField(label="and nation")

    def __init__(self, data, *, nations: list[tuple[str, str]]):
        super().__init__(data)
        choice_field(self, "a").choices = nations
        choice_field(self, "b").choices = nations

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("a") and cleaned.get("a") == cleaned.get("b"):
            raise forms.ValidationError("Pick two different nations.")
        return cleaned
