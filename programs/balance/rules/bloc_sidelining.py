"""SPEC §3 ``bloc_sidelining``: two other participants, tied far more to each other than to
the nation, outvote it together or hold the programme's leadership between them.

For nation n and a pair a, b of other active participants, the pair's prior tie must be strong
(``strong_tie`` points) and its tie index at least ``tie_ratio`` (3) times n's with a and n's
with b (``programs.balance.ties``). Then either

* (votes) a and b voted alike in ``agreement_rate`` (80 %) or more of at least
  ``min_shared_decisions`` (3) shared decisions and carried at least ``min_carried_against`` (3)
  decisions together against n; or
* (roles) a and b hold ``bloc_leadership_share`` (80 %) or more of the leadership weight while
  n's contribution share is at least ``min_contribution_share`` (20 %) and its leadership share
  below ``deficit_ratio`` (0.5) × its contribution share.

One of the two raises a warning, both a critical flag; the counterparts are a and b. An open
flag stays open while the tie ratio is at least ``tie_ratio`` − ``tie_ratio_margin`` (2.98) and
the votes or the roles hold at ``recovery`` (78 %) in place of 80 %. The explanation gives the
pair's tie index and n's with each of them, and what each is made of; the evidence holds the
three indices and their parts.
"""

from __future__ import annotations

from decimal import Decimal

from programs.balance.programme_balance import NationBalance, PairBalance, ProgrammeBalance
from programs.balance.rules.registry import (
    CRITICAL,
    WARNING,
    Condition,
    nation_condition,
    rule,
)
from programs.balance.rules.wording import and_join, ev, num, pct, points, the
from programs.balance.ties import tie_ratio, tie_state


def _tie_history(pair: PairBalance) -> str:
    """'Tornado, Eurofighter, Tempest, 2 agreements'."""
    agreements = len(pair.tie_agreements)
    counted = [f"{agreements} agreement{'s' if agreements != 1 else ''}"] if agreements else []
    return ", ".join(pair.tie_programme_names + counted)


def _tie_words(
    balance: ProgrammeBalance,
    nation: NationBalance,
    bloc: PairBalance,
    with_a: PairBalance,
    with_b: PairBalance,
    t: dict[str, Decimal],
) -> str:
    """The three indices as SPEC §3 words them: 'the United Kingdom and Italy (tie index 96
    since 1969: Tornado, Eurofighter, Tempest, 2 agreements), against Japan's 17 with the
    United Kingdom and 5 with Italy,'; in the recovery band, how far the ratio has fallen."""
    a, b = the(balance.nation(bloc.a).name), the(balance.nation(bloc.b).name)
    since = f" since {bloc.tie_since.year}" if bloc.tie_since else ""
    history = _tie_history(bloc)
    made_of = f"{since}: {history}" if history else since
    if not (with_a.tie_index or with_b.tie_index):
        against = f"against no prior tie of {the(nation.name)} with either"
    else:
        against = (
            f"against {the(nation.name)}'s {points(with_a.tie_index)} with {a} "
            f"and {points(with_b.tie_index)} with {b}"
        )
    if tie_state(bloc, with_a, with_b, t) == "hold":
        against += (
            f" ({num(tie_ratio(bloc, with_a, with_b))} times, short of the tie ratio "
            f"{num(t['tie_ratio'])}; the flag resolves below "
            f"{num(t['tie_ratio'] - t['tie_ratio_margin'])})"
        )
    return f"{a} and {b} (tie index {points(bloc.tie_index)}{made_of}), {against},"


def _tie_evidence(pair: PairBalance) -> dict:
    return {
        "tie_index": ev(pair.tie_index),
        "tie_since": pair.tie_since.isoformat() if pair.tie_since else None,
        "parts": [
            {
                "kind": part.kind,
                "code": part.code,
                "name": part.name,
                "since": part.since.isoformat(),
                "points": ev(part.points),
            }
            for part in pair.tie_parts
        ],
    }


def _bloc_votes(bloc: PairBalance, carried: int, t: dict[str, Decimal], rate_at: Decimal) -> bool:
    """(votes): the pair agrees at ``rate_at`` or more over enough shared decisions and carried
    enough decisions together against the nation."""
    return (
        bloc.agreement_rate is not None
        and bloc.shared_decisions >= t["min_shared_decisions"]
        and bloc.agreement_rate >= rate_at
        and carried >= t["min_carried_against"]
    )


def _bloc_roles(
    balance: ProgrammeBalance,
    nation: NationBalance,
    bloc_share: Decimal,
    t: dict[str, Decimal],
    share_at: Decimal,
) -> bool:
    """(roles): the pair holds ``share_at`` of the leadership weight or more while the nation
    contributes enough and has a leadership deficit."""
    return (
        balance.total_leadership_weight > 0
        and bloc_share >= share_at
        and nation.contribution_share >= t["min_contribution_share"]
        and nation.leadership_share < t["deficit_ratio"] * nation.contribution_share
    )


@rule("bloc_sidelining")
def bloc_sidelining(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """Two participants far more tied to each other than n is to either (``tie_ratio`` times
    n's tie index with each, and strongly) that outvote n together, or hold the programme's
    leadership between them while n has a deficit."""
    pairs = {(p.a, p.b): p for p in balance.pairs}

    def pair_of(x: str, y: str) -> PairBalance:
        a, b = sorted((x, y))
        return pairs[(a, b)]

    found = []
    active = balance.active_nations
    for nation in active:
        for bloc in balance.pairs:
            if nation.code in (bloc.a, bloc.b):
                continue
            a, b = balance.nation(bloc.a), balance.nation(bloc.b)
            if not (a.active and b.active):
                continue
            with_a, with_b = pair_of(nation.code, a.code), pair_of(nation.code, b.code)
            tie = tie_state(bloc, with_a, with_b, t)
            if tie is None:
                continue
            carried = bloc.carried_together_against.get(nation.code, 0)
            rate = bloc.agreement_rate

            bloc_share = a.leadership_share + b.leadership_share

            def votes_hold(rate_at: Decimal, bloc=bloc, carried=carried) -> bool:
                return _bloc_votes(bloc, carried, t, rate_at)

            def roles_hold(share_at: Decimal, nation=nation, bloc_share=bloc_share) -> bool:
                return _bloc_roles(balance, nation, bloc_share, t, share_at)

            by_votes = votes_hold(t["agreement_rate"])
            by_roles = roles_hold(t["bloc_leadership_share"])
            if tie == "raise" and (by_votes or by_roles):
                severity = CRITICAL if by_votes and by_roles else WARNING
            elif by_votes or by_roles or votes_hold(t["recovery"]) or roles_hold(t["recovery"]):
                # In the hysteresis band of the tie ratio or of the votes or roles.
                severity = None
            else:
                continue
            grounds = []
            if by_roles or (severity is None and roles_hold(t["recovery"])):
                grounds.append(
                    f"hold {pct(bloc_share)} of the leadership weight "
                    f"({a.leadership_weight + b.leadership_weight} of "
                    f"{balance.total_leadership_weight})"
                )
            if by_votes or (severity is None and votes_hold(t["recovery"])):
                grounds.append(
                    f"voted alike in {bloc.agreed_decisions} of {bloc.shared_decisions} shared "
                    f"decisions ({pct(rate)}) and carried {carried} together against "
                    f"{the(nation.name)}"
                )
            use_roles = by_roles or (not by_votes and roles_hold(t["recovery"]))
            found.append(
                nation_condition(
                    balance,
                    nation,
                    rule="bloc_sidelining",
                    counterparts=(a.code, b.code),
                    severity=severity,
                    metric="bloc_leadership_share" if use_roles else "bloc_agreement_rate",
                    value=bloc_share if use_roles else rate,
                    threshold=t["bloc_leadership_share"] if use_roles else t["agreement_rate"],
                    explanation=(
                        f"{the(nation.name, True)} holds {nation.leadership_weight} of "
                        f"{balance.total_leadership_weight} leadership weight "
                        f"({pct(nation.leadership_share)}) with a "
                        f"{pct(nation.contribution_share)} contribution share in "
                        f"{balance.programme_name}; "
                        f"{_tie_words(balance, nation, bloc, with_a, with_b, t)} "
                        f"{and_join(grounds)}."
                    ),
                    evidence={
                        "bloc": [a.code, b.code],
                        "by_votes": by_votes,
                        "by_roles": by_roles,
                        "tie_index": ev(bloc.tie_index),
                        "tie_since": bloc.tie_since.isoformat() if bloc.tie_since else None,
                        "tie_overlap_years": ev(bloc.tie_overlap_years),
                        "tie_agreements": bloc.tie_agreements,
                        "tie_programmes": bloc.tie_programmes,
                        "tie_parts": _tie_evidence(bloc)["parts"],
                        "nation_ties": {
                            a.code: _tie_evidence(with_a),
                            b.code: _tie_evidence(with_b),
                        },
                        "tie_ratio": ev(tie_ratio(bloc, with_a, with_b)),
                        "tie_ratio_threshold": ev(t["tie_ratio"]),
                        "shared_decisions": bloc.shared_decisions,
                        "agreed_decisions": bloc.agreed_decisions,
                        "agreement_rate": ev(rate),
                        "carried_against": carried,
                        "bloc_leadership_share": ev(bloc_share),
                        "leadership_share": ev(nation.leadership_share),
                        "leadership_weight": nation.leadership_weight,
                        "total_leadership_weight": balance.total_leadership_weight,
                        "contribution_share": ev(nation.contribution_share),
                    },
                )
            )
    return found
