"""The What if page of a programme: its form of common moves and what the page shows of a
what-if result (a selector over ``programs.whatif``; reads only)."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from programs.access import released
from programs.balance.programme_balance import ProgrammeBalance
from programs.dashboards import charts
from programs.dashboards.formatting import as_float, as_percent, num, pct
from programs.dashboards.forms import choice_field
from programs.dashboards.programme import share_chart
from programs.models import (
    Agreement,
    Decision,
    LeadershipRole,
    Nation,
    Organisation,
    Participation,
    Programme,
    Vote,
)
from programs.whatif.evaluate import ProgrammeWhatIf, WhatIf
from programs.whatif.moves import (
    ContributionChange,
    Move,
    NewAgreement,
    ParticipationChange,
    RoleMove,
    VoteChange,
    draft_document,
    move_records,
)

#: The figures of the side-by-side table: (metric, label, shown as).
COMPARED = [
    ("contribution_share", "Contribution share", "pct"),
    ("workshare_share", "Workshare share", "pct"),
    ("return_coefficient", "Return coefficient", "num"),
    ("leadership_share", "Leadership share", "pct"),
    ("leadership_weight", "Leadership weight", "int"),
    ("vote_share", "Vote share", "pct"),
    ("outvoted_rate", "Outvoted rate", "pct"),
    ("tt_received_weight", "Tech weight received", "int"),
]
BLANK = [("", "—")]


class WhatIfForm(forms.Form):
    """The common moves, each optional, and a box to paste a draft; together one draft."""

    role = forms.ChoiceField(required=False, label="Move the lead role")
    role_nation = forms.ChoiceField(required=False, label="to")
    role_organisation = forms.ChoiceField(required=False, label="held through")

    contribution_nation = forms.ChoiceField(required=False, label="Set the contribution of")
    contribution_period_start = forms.DateField(required=False, label="for the period from")
    contribution_amount = forms.DecimalField(
        required=False, min_value=0, max_digits=20, decimal_places=2, label="to"
    )

    vote_decision = forms.ChoiceField(required=False, label="On the decision")
    vote_nation = forms.ChoiceField(required=False, label="make")
    vote_position = forms.ChoiceField(
        required=False, label="vote", choices=BLANK + list(Vote.Position.choices)
    )

    participation_nation = forms.ChoiceField(required=False, label="Participation of")
    participation_change = forms.ChoiceField(
        required=False, choices=[*BLANK, ("add", "joins"), ("end", "leaves")], label="that"
    )
    participation_on = forms.DateField(required=False, label="on")
    participation_role = forms.ChoiceField(
        required=False, choices=Participation.Role.choices, initial="partner", label="as"
    )

    agreement_name = forms.CharField(required=False, max_length=200, label="Add the agreement")
    agreement_kind = forms.ChoiceField(
        required=False, choices=Agreement.Kind.choices, label="of kind"
    )
    agreement_nations = forms.MultipleChoiceField(required=False, label="binding")
    agreement_signed_on = forms.DateField(required=False, label="signed on")

    document = forms.CharField(
        required=False,
        label="Or paste a draft (SPEC §4 YAML or JSON); the moves above are added to it",
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        strip=False,
    )
    as_of = forms.DateField(required=False, label="As of")

    #: For each move, its first field and the fields it needs once that one is given.
    MOVES = {
        "role": ("role_nation",),
        "contribution_nation": ("contribution_period_start", "contribution_amount"),
        "vote_decision": ("vote_nation", "vote_position"),
        "participation_nation": ("participation_change", "participation_on"),
        "agreement_name": ("agreement_nations", "agreement_signed_on"),
    }

    def __init__(self, *args, programme: Programme, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme
        nations = BLANK + list(Nation.objects.order_by("name").values_list("code", "name"))
        roles = released(LeadershipRole.objects.filter(programme=programme), user)
        organisations = released(Organisation.objects.filter(nation__isnull=False), user)
        decisions = released(Decision.objects.filter(body__programme=programme), user)
        self.decisions = {
            str(pk): (body, title)
            for pk, body, title in decisions.order_by("decided_on", "title").values_list(
                "pk", "body__name", "title"
            )
        }
        choice_field(self, "role").choices = BLANK + [
            (title, title) for title in roles.order_by("title").values_list("title", flat=True)
        ]
        choice_field(self, "role_organisation").choices = [("", "no organisation")] + [
            (name, name) for name in organisations.order_by("name").values_list("name", flat=True)
        ]
        choice_field(self, "vote_decision").choices = BLANK + [
            (pk, f"{body}: {title}") for pk, (body, title) in self.decisions.items()
        ]
        for name in ("role_nation", "contribution_nation", "vote_nation", "participation_nation"):
            choice_field(self, name).choices = nations
        choice_field(self, "agreement_nations").choices = nations[1:]

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        for first, needed in self.MOVES.items():
            if cleaned.get(first):
                for name in needed:
                    if cleaned.get(name) in (None, "", []):
                        self.add_error(name, "Needed for this move.")
        if cleaned.get("agreement_name") and len(cleaned.get("agreement_nations") or []) < 2:
            self.add_error("agreement_nations", "An agreement binds two or more nations.")
        if not self.errors and not self.moves() and not cleaned.get("document", "").strip():
            raise forms.ValidationError("Make a move or paste a draft.")
        return cleaned

    def moves(self) -> list[Move]:
        data = self.cleaned_data
        found: list[Move] = []
        if data.get("role"):
            found.append(
                RoleMove(data["role"], data["role_nation"], data.get("role_organisation") or None)
            )
        if data.get("contribution_nation"):
            found.append(
                ContributionChange(
                    data["contribution_nation"],
                    data["contribution_period_start"],
                    data["contribution_amount"],
                )
            )
        if data.get("vote_decision"):
            body, title = self.decisions[data["vote_decision"]]
            found.append(VoteChange(body, title, data["vote_nation"], data["vote_position"]))
        if data.get("participation_nation"):
            found.append(
                ParticipationChange(
                    data["participation_nation"],
                    data["participation_change"],
                    data["participation_on"],
                    data.get("participation_role") or "partner",
                )
            )
        if data.get("agreement_name"):
            found.append(
                NewAgreement(
                    data["agreement_name"],
                    data["agreement_kind"],
                    tuple(data["agreement_nations"]),
                    data["agreement_signed_on"],
                )
            )
        return found

    def document_text(self) -> str:
        """The draft the form builds: the pasted one with the moves added."""
        records = move_records(self.programme.code, self.moves())
        return draft_document(self.cleaned_data.get("document") or "", records)


class DraftForm(forms.Form):
    """Save the draft shown (a new draft, or the user's own ``draft`` changed)."""

    name = forms.CharField(max_length=200)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    document = forms.CharField(widget=forms.HiddenInput, strip=False)
    draft = forms.IntegerField(required=False, widget=forms.HiddenInput)


@dataclass(frozen=True)
class FigureRow:
    label: str
    now: str
    draft: str
    difference: str
    moved: bool


@dataclass(frozen=True)
class NationFigures:
    code: str
    name: str
    rows: list[FigureRow]


def _shown(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "pct":
        return pct(value)
    if kind == "num":
        return num(value)
    return str(value)


def _difference(now, draft, kind: str) -> str:
    if now is None or draft is None or now == draft:
        return ""
    delta = draft - now
    if kind == "pct":
        return f"{delta * 100:+.1f} pt"
    if kind == "num":
        return f"{delta:+.2f}"
    return f"{delta:+d}"


def nation_figures(programme: ProgrammeWhatIf) -> list[NationFigures]:
    """Each nation's figures now → under the draft, with the difference."""
    result = []
    for nation in programme.nations:
        rows = []
        for metric, label, kind in COMPARED:
            now = getattr(nation.now, metric) if nation.now else None
            draft = getattr(nation.draft, metric) if nation.draft else None
            rows.append(
                FigureRow(
                    label,
                    _shown(now, kind),
                    _shown(draft, kind),
                    _difference(now, draft, kind),
                    now != draft,
                )
            )
        result.append(NationFigures(nation.nation, nation.name, rows))
    return result


def _return_chart(balance: ProgrammeBalance, side: str, title: str) -> charts.Chart:
    chart = charts.grouped_bars(
        f"chart-returns-{side}",
        title,
        "Bar chart of each nation's return coefficient; the dashed line is a fair return of 1.00.",
        [n.name for n in balance.nations],
        [
            (
                "Return coefficient",
                [as_float(n.return_coefficient, 3) for n in balance.nations],
                "#52606d",
            )
        ],
        "return coefficient",
        reference=1.0,
    )
    chart.layout["showlegend"] = False
    chart.height = 280
    return chart


def _outvoted_chart(balance: ProgrammeBalance, side: str, title: str) -> charts.Chart:
    chart = charts.grouped_bars(
        f"chart-outvoted-{side}",
        title,
        "Bar chart of the share of each nation's counted votes cast on the losing side.",
        [n.name for n in balance.nations],
        [("Outvoted rate", [as_percent(n.outvoted_rate) for n in balance.nations], "#7b8794")],
        "outvoted rate",
        y_suffix=" %",
    )
    chart.layout["showlegend"] = False
    chart.height = 260
    return chart


def side_by_side_charts(programme: ProgrammeWhatIf) -> dict[str, charts.Chart]:
    """The programme page's share and return charts, drawn for today and for the draft."""
    drawn = {}
    for side, balance, label in (
        ("now", programme.now, "today"),
        ("draft", programme.draft, "under the draft"),
    ):
        if balance is not None and balance.nations:
            drawn[f"shares_{side}"] = share_chart(
                balance,
                f"chart-shares-{side}",
                f"Shares {label}",
                f"{balance.programme} {side}; the table gives every value.",
            )
            drawn[f"returns_{side}"] = _return_chart(balance, side, f"Return coefficient {label}")
            drawn[f"outvoted_{side}"] = _outvoted_chart(balance, side, f"Outvoted rate {label}")
    return drawn


def whatif_page(programme: Programme, result: WhatIf | None) -> dict:
    """What the What if page shows of a result: the page's programme first, then the others it
    changes and the cross-programme rule."""
    if result is None:
        return {"result": None}
    own = next((p for p in result.programmes if p.code == programme.code), None)
    others = [p for p in result.programmes if p is not own]
    return {
        "result": result,
        "own": own,
        "figures": nation_figures(own) if own else [],
        "charts": side_by_side_charts(own) if own else {},
        "others": [(other, nation_figures(other)) for other in others],
    }
