"""How each nation's prior ties compare with each bloc's: the figure ``bloc_sidelining`` reads.

A bloc is a pair a, b of other participants with a strong prior tie (SPEC §2, §3). The rule asks
whether the bloc's tie index is at least ``tie_ratio`` times nation n's index with a and with b;
that is, whether the bloc's index divided by the larger of n's two is at least ``tie_ratio``.
That quotient is the *tie ratio* shown next to the threshold on the programme page and in the
balance report. A nation with no tie to either has no ratio (nothing to divide by): any strong
bloc is then far more tied than it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from programs.balance.programme_balance import PairBalance, ProgrammeBalance

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class BlocTie:
    """Nation ``nation`` against the bloc ``a``, ``b`` of two other active participants."""

    nation: str
    a: str
    b: str
    bloc_index: Decimal
    #: n's tie index with a and with b.
    index_with_a: Decimal
    index_with_b: Decimal
    #: bloc index / the larger of n's two, to two places; None when n has no tie to either.
    ratio: Decimal | None
    tie_ratio: Decimal
    #: Where an open flag resolves: ``tie_ratio`` less ``tie_ratio_margin`` (0.02).
    tie_ratio_recovery: Decimal
    strong_tie: Decimal
    #: 'raise' past ``tie_ratio`` with a strong bloc, 'hold' between the recovery threshold and
    #: ``tie_ratio`` (an open flag stays open), None otherwise.
    state: str | None

    @property
    def bloc(self) -> tuple[str, str]:
        return (self.a, self.b)


def _far_more_tied(bloc_index: Decimal, with_a: Decimal, with_b: Decimal, ratio: Decimal) -> bool:
    return bloc_index >= ratio * with_a and bloc_index >= ratio * with_b


def tie_ratio(bloc: PairBalance, with_a: PairBalance, with_b: PairBalance) -> Decimal | None:
    """The bloc's tie index / the larger of n's with a and with b, to two places; None when n
    has no tie to either."""
    larger = max(with_a.tie_index, with_b.tie_index)
    if not larger:
        return None
    return (bloc.tie_index / larger).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def tie_state(
    bloc: PairBalance, with_a: PairBalance, with_b: PairBalance, t: dict[str, Decimal]
) -> str | None:
    """'raise', 'hold' or None for the tie part of ``bloc_sidelining`` (thresholds ``t``)."""
    if bloc.tie_index < t["strong_tie"]:
        return None
    index, a, b = bloc.tie_index, with_a.tie_index, with_b.tie_index
    if _far_more_tied(index, a, b, t["tie_ratio"]):
        return "raise"
    if _far_more_tied(index, a, b, t["tie_ratio"] - t["tie_ratio_margin"]):
        return "hold"
    return None


def bloc_ties(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[BlocTie]:
    """For every active nation and every pair of other active nations, how their ties compare,
    under the programme's ``bloc_sidelining`` thresholds ``t``; strongest blocs first."""
    pairs = {(pair.a, pair.b): pair for pair in balance.pairs}
    active = [nation.code for nation in balance.active_nations]
    found = []
    for nation in active:
        for bloc in balance.pairs:
            if nation in (bloc.a, bloc.b) or bloc.a not in active or bloc.b not in active:
                continue
            with_a = pairs[_pair_key(nation, bloc.a)]
            with_b = pairs[_pair_key(nation, bloc.b)]
            found.append(
                BlocTie(
                    nation=nation,
                    a=bloc.a,
                    b=bloc.b,
                    bloc_index=bloc.tie_index,
                    index_with_a=with_a.tie_index,
                    index_with_b=with_b.tie_index,
                    ratio=tie_ratio(bloc, with_a, with_b),
                    tie_ratio=t["tie_ratio"],
                    tie_ratio_recovery=t["tie_ratio"] - t["tie_ratio_margin"],
                    strong_tie=t["strong_tie"],
                    state=tie_state(bloc, with_a, with_b, t),
                )
            )
    found.sort(key=lambda tie: (tie.nation, -tie.bloc_index, tie.a, tie.b))
    return found


def _pair_key(x: str, y: str) -> tuple[str, str]:
    """A pair's key in the balance: its two codes in order."""
    a, b = sorted((x, y))
    return (a, b)
