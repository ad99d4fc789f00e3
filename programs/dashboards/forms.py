from django import forms
from django.contrib.auth import get_user_model

from programs import changelog
from programs.access import released
from programs.balance.thresholds import RULE_CHOICES
from programs.models import Flag, Nation, Programme

STATUS_CHOICES = [
    ("live", "Open or acknowledged"),
    ("", "Any status"),
    *Flag.Status.choices,
]


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
        self.fields["programme"].choices = [
            ("", "Any programme"),
            ("-", "Cross-programme"),
            *choices["programme"],
        ]
        self.fields["nation"].choices = [("", "Any nation"), *choices["nation"]]


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
        self.fields["a"].choices = nations
        self.fields["b"].choices = nations

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("a") and cleaned.get("a") == cleaned.get("b"):
            raise forms.ValidationError("Pick two different nations.")
        return cleaned


class ChangeLogFilterForm(forms.Form):
    """The change log's filters (GET), shared by its page and its API list. Unknown values
    are form errors (400 in the API), never a 500."""

    programme = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="code", empty_label="Any programme"
    )
    nation = forms.ModelChoiceField(
        queryset=Nation.objects.order_by("name"),
        required=False,
        to_field_name="code",
        empty_label="Any nation",
    )
    model = forms.ChoiceField(required=False, label="Record kind")
    user = forms.CharField(required=False, max_length=150, help_text="User name")
    reason = forms.CharField(required=False, max_length=100, label="Reason contains")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def __init__(self, data, *, user):
        super().__init__(data)
        self.fields["programme"].queryset = released(Programme.objects.order_by("code"), user)
        self.fields["model"].choices = [("", "Any kind"), *changelog.model_choices()]

    def clean_user(self):
        name = self.cleaned_data["user"].strip()
        if not name:
            return None
        users = get_user_model()
        author = users._default_manager.filter(**{users.USERNAME_FIELD: name}).first()
        if author is None:
            raise forms.ValidationError(f"No user named “{name}”.")
        return author

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end of the range is before its start.")
        return cleaned

    def filters(self) -> changelog.ChangeFilters:
        data = self.cleaned_data
        return changelog.ChangeFilters(
            programme=data["programme"],
            nation=data["nation"],
            model=data["model"],
            user=data["user"],
            reason=data["reason"].strip(),
            since=data["since"],
            until=data["until"],
        )
