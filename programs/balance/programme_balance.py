"""A programme's balance: every SPEC §2 metric of its nations and pairs of nations, as of a day.

``programme_balance`` assembles the figures of ``contributions``, ``workshare``, ``votes``,
``transfers`` and ``tie_index`` (one statement each, whatever the size of the programme) into
a row per nation and per pair.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from types import SimpleNamespace

from django.utils import timezone

from programs.balance.contributions import (
    contribution_shares_with_basis,
    contributions_roles_and_seats,
    participations_by_nation,
    return_coefficient,
)
from programs.balance.rounding import SIX_PLACES, ZERO, money, ratio, share
from programs.balance.statements import placeholders, statement_cursor, table
from programs.balance.tie_index import NO_POINTS, STRONG_TIE, TiePart, pair_ties
from programs.balance.transfers import OVERDUE_DAYS, transfer_sums, transfers_between_nations
from programs.balance.votes import counted_votes
from programs.balance.workshare import work_and_totals
from programs.models import Nation, Programme


@dataclass(frozen=True)
class NationBalance:
    code: str
    name: str
    #: Takes part in the programme on the day (joined on or before it, not left).
    active: bool
    role: str | None
    contributed: Decimal
    contribution_share: Decimal
    #: 'recorded', 'agreed' or 'equal': where the contribution share comes from (SPEC §2).
    contribution_basis: str
    work: Decimal
    workshare_share: Decimal
    return_coefficient: Decimal | None
    leadership_weight: int
    leadership_share: Decimal
    roles_held: int
    votes: int
    vote_share: Decimal
    vetoes: int
    chairs: int
    counted_votes: int
    outvoted_votes: int
    outvoted_rate: Decimal | None
    tt_delivered_weight: int
    tt_received_weight: int
    overdue_to_receive: int
    blocked_to_receive: int


@dataclass(frozen=True)
class PairBalance:
    """Two nations of a programme, ``a`` < ``b`` by code."""

    a: str
    b: str
    #: Decisions of the programme where both cast counted votes, and where they voted alike.
    shared_decisions: int
    agreed_decisions: int
    agreement_rate: Decimal | None
    #: Decisions a and b won voting alike, by the nation that cast a counted vote the other way.
    carried_together_against: dict[str, int]
    #: The prior tie (SPEC §2): overlap years of shared programmes + 5 points per agreement in
    #: force, the sum of ``tie_parts``; strong at 5 or more.
    tie_index: Decimal
    tie_strong: bool
    tie_since: datetime.date | None
    tie_parts: list[TiePart]
    tie_overlap_years: Decimal
    tie_agreements: list[str]
    tie_programmes: list[str]
    tie_programme_names: list[str]
    tt_weight_a_to_b: int
    tt_weight_b_to_a: int
    milestones_between: int

    def other(self, code: str) -> str:
        return self.b if code == self.a else self.a


@dataclass(frozen=True)
class ProgrammeBalance:
    programme: str
    programme_name: str
    currency: str
    as_of: datetime.date
    total_contributions: Decimal
    total_work: Decimal
    #: Work placed with organisations that resolve to no nation (e.g. an agency).
    unattributed_work: Decimal
    total_leadership_weight: int
    total_votes: int
    nations: list[NationBalance]
    pairs: list[PairBalance]
    _by_code: dict[str, NationBalance] = field(default_factory=dict, repr=False, compare=False)
    #: Nation code -> id (``nation_ids``).
    _nation_ids: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    #: (provider code, recipient code) -> milestone counts (``transfers_between``).
    _transfers: dict[tuple[str, str], dict[str, int]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def nation(self, code: str) -> NationBalance:
        if not self._by_code:
            self._by_code.update({n.code: n for n in self.nations})
        return self._by_code[code]

    def pair(self, a: str, b: str) -> PairBalance:
        a, b = sorted((a, b))
        for pair in self.pairs:
            if pair.a == a and pair.b == b:
                return pair
        raise KeyError((a, b))

    @property
    def nation_ids(self) -> dict[str, int]:
        """Nation code -> id, for callers that write rows about the nations (snapshots); not a
        field, so not part of the report."""
        return dict(self._nation_ids)

    @property
    def transfers_between(self) -> dict[tuple[str, str], dict[str, int]]:
        """(provider code, recipient code) -> the milestones between them: ``live`` (not
        cancelled), ``achieved`` and ``delivered`` weight by the day, ``overdue``, ``blocked``.
        Not a field: the report gives the per-nation and per-pair sums."""
        return dict(self._transfers)

    @property
    def active_nations(self) -> list[NationBalance]:
        return [n for n in self.nations if n.active]


def programme_balance(
    programme: Programme,
    as_of: datetime.date | None = None,
    *,
    overdue_days: int = OVERDUE_DAYS,
    nation_id: int | None = None,
) -> ProgrammeBalance:
    """Every SPEC §2 metric of the programme's nations and pairs of nations, as of a day.

    With a viewer ``nation_id``, every figure is computed over the rows visible to that nation
    only (``programs.access``): a hidden contribution, allocation, vote or organisation counts
    nowhere, not even in a total. Without it (scans), over every row.
    """
    as_of = as_of or timezone.localdate()
    pid = programme.pk

    participations = participations_by_nation(pid, nation_id)
    active_ids = {
        nid
        for nid, row in participations.items()
        if (row["joined_on"] is None or row["joined_on"] <= as_of)
        and (row["left_on"] is None or row["left_on"] > as_of)
    }
    contributed, roles, seats = contributions_roles_and_seats(pid, as_of, nation_id)
    work_per_programme, totals = work_and_totals([pid], as_of, nation_id=nation_id)
    work = {nid: amount for (_, nid), amount in work_per_programme.items()}
    total_work = totals.get(pid, money(0))
    ballots, pair_votes, carried = counted_votes(pid, nation_id)
    overdue_before = as_of - datetime.timedelta(days=overdue_days)
    transfers = transfers_between_nations(pid, as_of, overdue_before, nation_id)

    nation_ids = sorted(
        set(participations)
        | set(contributed)
        | set(work)
        | set(roles)
        | set(seats)
        | set(ballots)
        | {nid for pair in transfers for nid in pair}
    )
    nations = nation_names(nation_ids)
    nation_ids.sort(key=lambda nid: nations[nid].code)

    total_contributions = money(sum(contributed.values(), ZERO))
    contribution_shares, basis = contribution_shares_with_basis(
        total_contributions, contributed, participations, active_ids
    )
    total_weight = sum(weight for weight, _ in roles.values())
    total_votes = sum(votes for votes, _, _ in seats.values())

    delivered, received, overdue_in, blocked_in = transfer_sums(transfers)

    nation_rows = []
    for nid in nation_ids:
        weight, held = roles.get(nid, (0, 0))
        votes, vetoes, chairs = seats.get(nid, (0, 0, 0))
        counted, outvoted = ballots.get(nid, (0, 0))
        contribution_share = contribution_shares.get(nid, ZERO.quantize(SIX_PLACES))
        workshare_share = share(work.get(nid, ZERO), total_work)
        nation_rows.append(
            NationBalance(
                code=nations[nid].code,
                name=nations[nid].name,
                active=nid in active_ids,
                role=participations.get(nid, {}).get("role"),
                contributed=contributed.get(nid, money(0)),
                contribution_share=contribution_share,
                contribution_basis=basis,
                work=work.get(nid, money(0)),
                workshare_share=workshare_share,
                return_coefficient=return_coefficient(
                    work.get(nid, ZERO),
                    total_work,
                    contributed.get(nid, ZERO),
                    total_contributions,
                    contribution_share,
                    basis,
                ),
                leadership_weight=weight,
                leadership_share=share(weight, total_weight),
                roles_held=held,
                votes=votes,
                vote_share=share(votes, total_votes),
                vetoes=vetoes,
                chairs=chairs,
                counted_votes=counted,
                outvoted_votes=outvoted,
                outvoted_rate=ratio(outvoted, counted),
                tt_delivered_weight=delivered[nid],
                tt_received_weight=received[nid],
                overdue_to_receive=overdue_in[nid],
                blocked_to_receive=blocked_in[nid],
            )
        )

    ties = pair_ties(pid, nation_ids, as_of, nation_id)
    pairs = pairs_of_nations(nation_ids, nations, transfers, pair_votes, carried, ties)
    attributed = money(sum(work.values(), ZERO))
    return ProgrammeBalance(
        programme=programme.code,
        programme_name=programme.name,
        currency=programme.currency,
        as_of=as_of,
        total_contributions=total_contributions,
        total_work=total_work,
        unattributed_work=max(money(total_work - attributed), money(0)),
        total_leadership_weight=total_weight,
        total_votes=total_votes,
        nations=nation_rows,
        pairs=pairs,
        _nation_ids={nations[nid].code: nid for nid in nation_ids},
        _transfers={
            (nations[provider].code, nations[recipient].code): row
            for (provider, recipient), row in transfers.items()
        },
    )


def nation_names(nation_ids: list[int]) -> dict[int, SimpleNamespace]:
    """Nation id -> (code, name) of the given nations."""
    if not nation_ids:
        return {}
    sql = f"SELECT id, code, name FROM {table(Nation)} WHERE id IN ({placeholders(nation_ids)})"
    with statement_cursor() as cursor:
        cursor.execute(sql, nation_ids)
        return {nid: SimpleNamespace(code=code, name=name) for nid, code, name in cursor}


def pairs_of_nations(
    nation_ids: list[int],
    nations: dict[int, SimpleNamespace],
    transfers: dict[tuple[int, int], dict],
    votes: dict[tuple[int, int], tuple[int, int]],
    carried: dict[tuple[int, int], dict[int, int]],
    ties: dict[tuple[int, int], dict],
) -> list[PairBalance]:
    pairs = []
    for x, y in combinations(nation_ids, 2):
        # Code order for the public pair, id order for the SQL keys.
        a, b = sorted((x, y), key=lambda nid: nations[nid].code)
        key = (min(x, y), max(x, y))
        shared, agreed = votes.get(key, (0, 0))
        tie = ties.get(key) or {"index": NO_POINTS, "years": NO_POINTS, "since": None, "parts": []}
        programmes = [part for part in tie["parts"] if part.kind == "programme"]
        between = sum(int(transfers.get(pair, {}).get("live") or 0) for pair in ((a, b), (b, a)))
        pairs.append(
            PairBalance(
                a=nations[a].code,
                b=nations[b].code,
                shared_decisions=shared,
                agreed_decisions=agreed,
                agreement_rate=ratio(agreed, shared),
                carried_together_against={
                    nations[against].code: count
                    for against, count in sorted(carried.get(key, {}).items())
                },
                tie_index=tie["index"],
                tie_strong=tie["index"] >= STRONG_TIE,
                tie_since=tie["since"],
                tie_parts=tie["parts"],
                tie_overlap_years=tie["years"],
                tie_agreements=[part.name for part in tie["parts"] if part.kind == "agreement"],
                tie_programmes=list(dict.fromkeys(part.code for part in programmes)),
                tie_programme_names=list(dict.fromkeys(part.name for part in programmes)),
                tt_weight_a_to_b=int((transfers.get((a, b)) or {}).get("delivered") or 0),
                tt_weight_b_to_a=int((transfers.get((b, a)) or {}).get("delivered") or 0),
                milestones_between=between,
            )
        )
    return pairs
