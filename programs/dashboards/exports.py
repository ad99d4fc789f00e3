"""The dashboards' tables as rows for a download: one :class:`Table` per table of the programme,
pair and portfolio pages, with the columns the table shows and every row it shows.

The rows are read from what the page's own selector built (``programme.programme_page``,
``pair.pair_page``, ``portfolio.portfolio_page``), never computed a second way, so a file and
the page it was downloaded from hold the same figures for the same viewer. Figures stay
numbers (a share is 0.25, not "25.0 %"); a cell the page prints as "—" is empty.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from programs.balance.ties import BlocTie
from programs.dashboards.portfolio import Portfolio
from programs.dashboards.programme import CONFIDENCES
from programs.dashboards.whatif import COMPARED
from programs.whatif.evaluate import WhatIf


@dataclass(frozen=True)
class Table:
    """One table of a page: its column names and its rows (dicts by column name)."""

    columns: list[str]
    rows: list[dict[str, Any]]


def table(columns: list[str], rows: list[list[Any]]) -> Table:
    return Table(columns, [dict(zip(columns, row, strict=True)) for row in rows])


# Programme page -------------------------------------------------------------------------------

#: The programme page's tables that the balance report itself does not hold, by section name.
PROGRAMME_SECTIONS = {
    "outvoted": "Outvoted rate per nation",
    "agreement": "How often each pair votes alike (nation × nation)",
    "transfers": "Technology-transfer milestones by provider and recipient",
    "strong_bloc_ties": "Each nation against each bloc with a strong tie (the page's rows)",
    "trends": "Return coefficient and leadership share of each nation at every scan",
    "provenance": "The programme's records by kind and confidence",
}


def programme_tables(page: dict) -> dict[str, Table]:
    """The tables of ``programme_page``'s result, by section name."""
    nations = page["nations"]
    trend_names = [name for _, name in page["trend_nations"]]
    return {
        "outvoted": table(
            ["nation", "counted_votes", "on_the_losing_side", "outvoted_rate"],
            [[n.name, n.counted_votes, n.outvoted_votes, n.outvoted_rate] for n in nations],
        ),
        "agreement": table(
            ["nation", *[n.name for n in nations]],
            [[n.name, *[cell.value for cell in line]] for n, line in page["agreement_matrix"]],
        ),
        "transfers": table(
            [
                "provider",
                "recipient",
                "milestones",
                "achieved",
                "weight_delivered",
                "overdue",
                "blocked",
            ],
            [
                [
                    t.provider,
                    t.recipient,
                    t.milestones,
                    t.achieved,
                    t.delivered_weight,
                    t.overdue,
                    t.blocked,
                ]
                for t in page["transfers"]
            ],
        ),
        "strong_bloc_ties": Table(
            [field.name for field in dataclasses.fields(BlocTie)],
            [dataclasses.asdict(row.tie) for row in page["bloc_ties"]],
        ),
        "trends": table(
            [
                "scan_day",
                *[
                    f"{name} {measure}"
                    for name in trend_names
                    for measure in ("return coefficient", "leadership share")
                ],
            ],
            [
                [
                    day,
                    *[
                        figure
                        for value in values
                        for figure in (
                            (value["return_coefficient"], value["leadership_share"])
                            if value
                            else (None, None)
                        )
                    ],
                ]
                for day, values in page["trend_table"]
            ],
        ),
        "provenance": table(
            ["records", *CONFIDENCES, "total"],
            [[row.label, *row.values, row.total] for row in page["provenance"]],
        ),
    }


# Pair page ------------------------------------------------------------------------------------

PAIR_SECTIONS = {
    "ledger": "The ledger: each measure for each nation",
    "money": "Money and work, programme by programme",
    "technology": "Technology each way, programme by programme",
    "milestones": "Latest milestones between them",
    "votes": "Votes together and against, programme by programme",
    "lead_roles": "Lead roles held",
    "programmes": "Shared history: programmes together",
    "agreements": "Shared history: agreements binding both",
    "tie_index": "Tie index at the end of each year",
}


def pair_tables(page: dict) -> dict[str, Table]:
    """The tables of ``pair_page``'s result (a's side first), by section name."""
    a, b, totals, shared = page["a"].code, page["b"].code, page["totals"], page["programmes"]
    both_alike = f"{totals.shared_decisions} / {totals.together}"
    ledger = [
        [
            f"Work placed with its industry, paid by the other’s contributions ({currency})",
            funding[1],
            funding[0],
        ]
        for currency, funding in totals.funding.items()
    ]
    if shared:
        ledger += [
            [
                "Technology received from the other (weight delivered)",
                totals.a_received_weight,
                totals.b_received_weight,
            ],
            ["Transfers from the other overdue", totals.a_overdue, totals.b_overdue],
            ["Transfers from the other blocked", totals.a_blocked, totals.b_blocked],
            [
                f"Lead-role weight held (of {totals.total_lead_weight} in these programmes)",
                totals.a_lead_weight,
                totals.b_lead_weight,
            ],
            ["Decisions carried when the two voted apart", totals.a_prevailed, totals.b_prevailed],
            # One cell spanning both nations on the page: the same text under each here.
            ["Decisions both voted on / voted alike", *[both_alike] * 2],
        ]
    return {
        "ledger": table(["measure", a, b], ledger),
        "money": table(
            [
                "programme",
                "name",
                "currency",
                f"{a} role",
                f"{b} role",
                f"{a} contribution share",
                f"{b} contribution share",
                "contribution basis",
                f"{a} work placed",
                f"{b} work placed",
                "total work",
                f"{a} return coefficient",
                f"{b} return coefficient",
                f"{a} pays for {b} work",
                f"{b} pays for {a} work",
            ],
            [
                [
                    p.code,
                    p.name,
                    p.currency,
                    p.a_role,
                    p.b_role,
                    p.a_contribution_share,
                    p.b_contribution_share,
                    p.basis,
                    p.a_work,
                    p.b_work,
                    p.total_work,
                    p.a_return,
                    p.b_return,
                    p.a_funds_b,
                    p.b_funds_a,
                ]
                for p in shared
            ],
        ),
        "technology": table(
            ["programme", "direction", "milestones", "achieved", "weight", "overdue", "blocked"],
            [
                [p.code, f"{giver} → {taker}", *_transfer_figures(figures)]
                for p in shared
                for giver, taker, figures in ((a, b, p.a_to_b), (b, a, p.b_to_a))
            ],
        ),
        "milestones": table(
            [
                "status",
                "title",
                "programme",
                "provider",
                "recipient",
                "planned_on",
                "weight",
                "access_level",
                "export_control",
            ],
            [
                [
                    m.get_status_display(),
                    m.title,
                    m.programme.code,
                    str(m.provider),
                    str(m.recipient),
                    m.planned_on,
                    m.weight,
                    m.get_access_level_display(),
                    m.export_control,
                ]
                for m in page["milestones"]
            ],
        ),
        "votes": table(
            ["programme", "both_voted", "alike", "apart", f"{a} carried", f"{b} carried"],
            [
                [
                    p.code,
                    p.shared_decisions,
                    p.together,
                    p.a_prevailed + p.b_prevailed,
                    p.a_prevailed,
                    p.b_prevailed,
                ]
                for p in shared
            ],
        ),
        "lead_roles": table(
            ["programme", "nation", "role", "organisation", "weight"],
            [
                [
                    role.programme.code,
                    role.nation.code,
                    role.title,
                    str(role.organisation) if role.organisation else None,
                    role.weight,
                ]
                for role in page["roles_held"]
            ],
        ),
        "programmes": table(
            ["programme", "name", "together_since", "years_together"],
            [[p.code, p.name, p.overlap_from, p.overlap_years] for p in shared],
        ),
        "agreements": table(
            ["name", "kind", "signed_on", "ended_on", "confidence"],
            [
                [ag.name, ag.get_kind_display(), ag.signed_on, ag.ended_on, ag.confidence]
                for ag in page["agreements"]
            ],
        ),
        "tie_index": table(["as_of", "tie_index"], [list(year) for year in page["tie"].years]),
    }


def _transfer_figures(figures: dict) -> list[int]:
    """Milestones, achieved, weight delivered, overdue, blocked of one direction (0 if none)."""
    return [
        figures.get(key) or 0
        for key in ("milestones", "achieved", "delivered", "overdue", "blocked")
    ]


# Portfolio ------------------------------------------------------------------------------------

PORTFOLIO_SECTIONS = {
    "returns": "Return coefficient by programme and nation at each programme's latest scan",
    "pairs": "Nation pairs taking part in a programme together",
    "loads": "Data loaded: the latest scenario files",
}


def portfolio_tables(data: Portfolio) -> dict[str, Table]:
    """The tables of ``portfolio_page``'s result, by section name."""
    codes = [code for code, _ in data.nations]
    return {
        "returns": table(
            [
                "programme",
                "name",
                "status",
                "currency",
                *[f"{code}{suffix}" for code in codes for suffix in ("", " open flags")],
                "scanned",
            ],
            [
                [
                    row.code,
                    row.name,
                    row.status,
                    row.currency,
                    *[
                        value
                        for cell in row.cells
                        for value in (
                            (cell.return_coefficient, _badges(cell))
                            if cell.taking_part
                            else (None, None)
                        )
                    ],
                    row.snapshot_on,
                ]
                for row in data.rows
            ],
        ),
        "pairs": table(["a", "a_name", "b", "b_name"], [list(pair) for pair in data.pairs]),
        "loads": table(
            ["file_name", "facts_as_of", "loaded_at"],
            [[load.file_name, load.as_of, load.loaded_at] for load in data.scenario_loads],
        ),
    }


def _badges(cell) -> str:
    """A cell's open flags as the grid's badges read: '1 critical; 2 warning; 1 acknowledged'."""
    parts = [f"{count} {severity}" for severity, count in cell.flag_badges]
    if cell.acknowledged:
        parts.append(f"{cell.acknowledged} acknowledged")
    return "; ".join(parts)


# What if --------------------------------------------------------------------------------------

WHATIF_COLUMNS = ["nation", "figure", "today", "draft", "difference"]


def whatif_section(code: str | None, own: str | None) -> str:
    """A comparison table's section, as the page names the table: ``figures`` for the page's
    own programme, ``figures-<code>`` for another one, ``figures-global`` for the global return."""
    if code is not None and code == own:
        return "figures"
    return f"figures-{code or 'global'}"


def whatif_tables(result: WhatIf, own: str | None) -> dict[str, Table]:
    """The What if page's comparison tables ("each nation's figures today → under the draft")
    of a result, by section: the programme ``own`` first, then the others the draft changes.
    Figures are the metrics themselves (a share is 0.25); the difference is empty when the page
    shows none (a figure unchanged or missing on one side)."""
    tables = {}
    for programme in sorted(result.programmes, key=lambda p: p.code != own):
        if programme.code != own and not programme.nations:
            continue  # the page shows no table for it, only its flag changes
        rows = []
        for nation in programme.nations:
            for metric, label, _ in COMPARED:
                now = getattr(nation.now, metric) if nation.now else None
                draft = getattr(nation.draft, metric) if nation.draft else None
                difference = None if now is None or draft is None or now == draft else draft - now
                rows.append([nation.name, label, now, draft, difference])
        tables[whatif_section(programme.code, own)] = table(WHATIF_COLUMNS, rows)
    return tables
