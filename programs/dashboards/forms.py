from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.http import QueryDict

from programs import changelog
from programs.access import released
from programs.balance.thresholds import RULE_CHOICES
from programs.bounds import validate_day
from programs.flags.filters import CROSS_PROGRAMME, STATUS_LIVE, FlagFilter
from programs.flags.selectors import visible_flags
from programs.models import Nation, Programme, Subscription


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """The form's field ``name``, declared a ChoiceField (its choices are set per request)."""
    return cast(forms.ChoiceField, form.fields[name])


def flag_filters(data: QueryDict, *, user: Any, choices: dict) -> FlagFilter:
    """The API's flag filters (one meaning of every filter) over the flags the user may see,
    for the flags page: the page lists live flags unless asked otherwise, and picks programmes
    and nations from lists."""
    data = data.copy()
    data.setdefault("status", STATUS_LIVE)
    filterset = FlagFilter(data, queryset=visible_flags(user))
    fields = filterset.form.fields
    fields["programme"].widget = forms.Select(
        choices=[("", "Any programme"), (CROSS_PROGRAMME, "Cross-programme"), *choices["programme"]]
    )
    nations = [("", "Any nation"), *choices["nation"]]
    fields["nation"].label = "Flagged nation"
    fields["nation"].widget = forms.Select(choices=nations)
    fields["counterpart"].label = "Counterpart"
    fields["counterpart"].widget = forms.Select(choices=nations)
    for name in ("last_seen_after", "last_seen_before"):
        del fields[name]
    return filterset


#: The flags page's filters a saved view keeps.
SAVED_FILTERS = ("programme", "nation", "counterpart", "rule", "severity", "status")


def saved_query(data: QueryDict) -> str:
    """The filters of a flags page query string, as a saved view keeps them (nothing else)."""
    kept = QueryDict(mutable=True)
    for name in SAVED_FILTERS:
        value = data.get(name)
        if value is not None:
            kept[name] = value[:100]
    return kept.urlencode()


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


class ChangeLogFilterForm(forms.Form):
    """The change log's filters (GET), shared by its page and its API list. Unknown values
    are form errors (400 in the API), never a 500."""

    programme: "forms.ModelChoiceField[Programme]" = forms.ModelChoiceField(
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
    since = forms.DateField(
        required=False,
        label="From",
        validators=[validate_day],
        widget=forms.DateInput({"type": "date"}),
    )
    until = forms.DateField(
        required=False,
        label="To",
        validators=[validate_day],
        widget=forms.DateInput({"type": "date"}),
    )

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


class SubscriptionForm(forms.ModelForm):
    """A new flag subscription, as the subscriptions page takes it."""

    rule = forms.ChoiceField(required=False, choices=[("", "Any rule"), *RULE_CHOICES])

    class Meta:
        model = Subscription
        fields = ["name", "everything", "programme", "nation", "rule", "min_severity", "delivery"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.user = user
        self.fields["programme"].queryset = released(Programme.objects.order_by("code"), user)
        self.fields["programme"].empty_label = "Any programme"
        self.fields["nation"].queryset = Nation.objects.order_by("name")
        self.fields["nation"].empty_label = "Any nation"
