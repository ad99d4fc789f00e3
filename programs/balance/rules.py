"""The imbalance rules of SPEC §3, one small function each, in one registry.

A rule reads a programme's balance (or, for cross-programme rules, the global returns) and the
programme's thresholds, and returns the conditions it finds. A condition with a ``severity``
is past the raise threshold; one with ``severity=None`` is between the raise and the recovery
threshold: it keeps an open flag open but raises none (hysteresis). A nation past the recovery
threshold yields no condition at all, and its flag resolves.

Adding a rule: write one function here decorated with ``@rule("name")`` and add its defaults to
``RULE_DEFAULTS`` in ``programs.balance.thresholds``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from programs.balance.global_returns import GlobalReturn
from programs.balance.programme_balance import NationBalance, PairBalance, ProgrammeBalance
from programs.balance.thresholds import RULE_DEFAULTS
from programs.balance.ties import tie_ratio, tie_state

WARNING = "warning"
CRITICAL = "critical"

#: Names that read with "the" in a sentence.
_THE_PREFIXES = ("United ", "Republic ", "Czech ", "Netherlands", "Philippines", "Russian ")


@dataclass(frozen=True)
class Condition:
    rule: str
    #: Programme code; None for cross-programme rules.
    programme: str | None
    nation: str
    counterparts: tuple[str, ...]
    #: 'warning' or 'critical'; None while between the raise and recovery thresholds.
    severity: str | None
    metric: str
    value: Decimal | None
    threshold: Decimal | None
    explanation: str
    evidence: dict = field(compare=False)
    #: Tells apart conditions of one rule, programme and nation (the currency of a global one).
    discriminator: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(
            self.rule, self.programme, self.nation, self.counterparts, self.discriminator
        )


def fingerprint(
    rule: str,
    programme: str | None,
    nation: str,
    counterparts: tuple[str, ...] | list[str] = (),
    discriminator: str = "",
) -> str:
    parts = [rule, programme or "*", nation, ",".join(sorted(counterparts))]
    if discriminator:
        parts.append(discriminator)
    return "|".join(parts)


@dataclass(frozen=True)
class Rule:
    name: str
    #: 'programme' rules read a ProgrammeBalance; 'global' rules the list of GlobalReturns.
    scope: str
    check: Callable[..., list[Condition]]


REGISTRY: dict[str, Rule] = {}


def rule(name: str, scope: str = "programme"):
    """Register a rule function under its SPEC §3 name."""
    if name not in RULE_DEFAULTS:
        raise LookupError(f"Rule {name} has no defaults in RULE_DEFAULTS.")

    def register(check):
        REGISTRY[name] = Rule(name=name, scope=scope, check=check)
        return check

    return register


def programme_rules() -> list[Rule]:
    return [r for r in REGISTRY.values() if r.scope == "programme"]


def global_rules() -> list[Rule]:
    return [r for r in REGISTRY.values() if r.scope == "global"]


# Formatting for explanations (sentences) and evidence (JSON: Decimals as strings).


def pct(value: Decimal | None) -> str:
    """0.142857 -> '14.3 %', 0.5 -> '50 %'."""
    if value is None:
        return "n/a"
    text = f"{value * 100:.1f}".removesuffix(".0")
    return f"{text} %"


def num(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{places}f}"


def the(name: str, capital: bool = False) -> str:
    """'United Kingdom' -> 'the United Kingdom' (or 'The ...' opening a sentence)."""
    if name.startswith(_THE_PREFIXES):
        return ("The " if capital else "the ") + name
    return name


def amount(value: Decimal) -> str:
    """Money for a sentence: 1983133333.33 -> '1,983,133,333'; small sums keep their cents."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}".removesuffix(".00")


def ev(value) -> str | None:
    return None if value is None else str(value)


def and_join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _lower(value: Decimal | None, raise_at: Decimal, recover_at: Decimal) -> str | None:
    """'raise', 'hold' or None for a metric that is bad when low."""
    if value is None:
        return None
    if value < raise_at:
        return "raise"
    if value < recover_at:
        return "hold"
    return None


def past(
    severity: str | None,
    raised_at: Decimal,
    recovery: Decimal,
    show=num,
    side: str = "below",
) -> str:
    """How the figure stands against its thresholds, for an explanation: "below 0.95" past the
    raise threshold; in the hysteresis band, where the flag stays open but the figure is no
    longer past the raise threshold, "short of the recovery threshold 0.97 (raised below 0.95)"."""
    if severity is not None:
        return f"{side} {show(raised_at)}"
    return f"short of the recovery threshold {show(recovery)} (raised {side} {show(raised_at)})"


def _condition(balance: ProgrammeBalance, nation: NationBalance, **kwargs) -> Condition:
    return Condition(programme=balance.programme, nation=nation.code, **kwargs)


@rule("workshare_return")
def workshare_return(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """Return coefficient (workshare share / contribution share) below the warning threshold."""
    found = []
    for nation in balance.active_nations:
        value = nation.return_coefficient
        state = _lower(value, t["warning"], t["recovery"])
        if state is None or value is None:
            continue
        severity = None
        if state == "raise":
            severity = CRITICAL if value < t["critical"] else WARNING
        threshold = t["critical"] if severity == CRITICAL else t["warning"]
        if severity is None:
            threshold = t["recovery"]
        found.append(
            _condition(
                balance,
                nation,
                rule="workshare_return",
                counterparts=(),
                severity=severity,
                metric="return_coefficient",
                value=value,
                threshold=threshold,
                explanation=(
                    f"{the(nation.name, True)} receives {pct(nation.workshare_share)} of "
                    f"{balance.programme_name}'s work ({amount(nation.work)} of "
                    f"{amount(balance.total_work)} "
                    f"{balance.currency}) for a {pct(nation.contribution_share)} contribution "
                    f"share ({nation.contribution_basis}): a return coefficient of "
                    f"{num(value)}, "
                    f"{past(severity, t['critical'] if severity == CRITICAL else t['warning'], t['recovery'])}."
                ),
                evidence={
                    "return_coefficient": ev(value),
                    "workshare_share": ev(nation.workshare_share),
                    "contribution_share": ev(nation.contribution_share),
                    "contribution_basis": nation.contribution_basis,
                    "work": ev(nation.work),
                    "total_work": ev(balance.total_work),
                    "contributed": ev(nation.contributed),
                    "total_contributions": ev(balance.total_contributions),
                    "currency": balance.currency,
                    "warning": ev(t["warning"]),
                    "critical": ev(t["critical"]),
                    "recovery": ev(t["recovery"]),
                },
            )
        )
    return found


def leadership_ratio(nation: NationBalance) -> Decimal | None:
    """Leadership share / contribution share; None when the nation contributes nothing."""
    if not nation.contribution_share:
        return None
    return (nation.leadership_share / nation.contribution_share).quantize(Decimal("0.000001"))


@rule("leadership_deficit")
def leadership_deficit(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """Leadership share below ``ratio`` × contribution share, where the programme has roles."""
    if not balance.total_leadership_weight:
        return []
    found = []
    for nation in balance.active_nations:
        value = leadership_ratio(nation)
        state = _lower(value, t["ratio"], t["recovery"])
        if state is None:
            continue
        severity = None
        if state == "raise":
            severity = (
                CRITICAL
                if nation.roles_held == 0
                and nation.contribution_share >= t["critical_contribution_share"]
                else WARNING
            )
        found.append(
            _condition(
                balance,
                nation,
                rule="leadership_deficit",
                counterparts=(),
                severity=severity,
                metric="leadership_to_contribution",
                value=value,
                threshold=t["ratio"] if severity else t["recovery"],
                explanation=(
                    f"{the(nation.name, True)} holds {nation.leadership_weight} of "
                    f"{balance.total_leadership_weight} leadership weight in "
                    f"{balance.programme_name} ({pct(nation.leadership_share)}, "
                    f"{nation.roles_held} role{'s' if nation.roles_held != 1 else ''}) with a "
                    f"{pct(nation.contribution_share)} contribution share: "
                    f"{num(value)} of its share, {past(severity, t['ratio'], t['recovery'])}."
                ),
                evidence={
                    "leadership_weight": nation.leadership_weight,
                    "total_leadership_weight": balance.total_leadership_weight,
                    "leadership_share": ev(nation.leadership_share),
                    "roles_held": nation.roles_held,
                    "contribution_share": ev(nation.contribution_share),
                    "contribution_basis": nation.contribution_basis,
                    "ratio": ev(value),
                    "threshold": ev(t["ratio"]),
                    "recovery": ev(t["recovery"]),
                },
            )
        )
    return found


@rule("outvoted")
def outvoted(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """Share of counted votes on the losing side, given enough counted votes."""
    found = []
    for nation in balance.nations:
        value = nation.outvoted_rate
        if value is None or nation.counted_votes < t["min_counted_votes"]:
            continue
        if value >= t["warning"]:
            severity = CRITICAL if value >= t["critical"] else WARNING
        elif value > t["recovery"]:
            severity = None
        else:
            continue
        raised_at = t["critical"] if severity == CRITICAL else t["warning"]
        threshold = raised_at if severity else t["recovery"]
        found.append(
            _condition(
                balance,
                nation,
                rule="outvoted",
                counterparts=(),
                severity=severity,
                metric="outvoted_rate",
                value=value,
                threshold=threshold,
                explanation=(
                    f"{the(nation.name, True)} was on the losing side of "
                    f"{nation.outvoted_votes} of its {nation.counted_votes} counted votes in "
                    f"{balance.programme_name} ({pct(value)}), "
                    f"{past(severity, raised_at, t['recovery'], pct, 'at or above')}."
                ),
                evidence={
                    "outvoted_votes": nation.outvoted_votes,
                    "counted_votes": nation.counted_votes,
                    "outvoted_rate": ev(value),
                    "warning": ev(t["warning"]),
                    "critical": ev(t["critical"]),
                    "recovery": ev(t["recovery"]),
                },
            )
        )
    return found


def points(value: Decimal) -> str:
    """A tie index for a sentence, to two places as computed: 109.27 -> '109.27',
    10.50 -> '10.5', 21.00 -> '21'."""
    return f"{value:.2f}".rstrip("0").removesuffix(".")


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
                _condition(
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


@rule("tech_transfer_asymmetry")
def tech_transfer_asymmetry(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """n received from m less than ``ratio`` × the weight it delivered to m."""
    found = []
    for pair in balance.pairs:
        if pair.milestones_between < t["min_milestones"]:
            continue
        for code in (pair.a, pair.b):
            other = pair.other(code)
            delivered = pair.tt_weight_a_to_b if code == pair.a else pair.tt_weight_b_to_a
            received = pair.tt_weight_b_to_a if code == pair.a else pair.tt_weight_a_to_b
            if not delivered:
                continue
            value = (Decimal(received) / Decimal(delivered)).quantize(Decimal("0.000001"))
            state = _lower(value, t["ratio"], t["recovery"])
            if state is None:
                continue
            nation, counterpart = balance.nation(code), balance.nation(other)
            found.append(
                _condition(
                    balance,
                    nation,
                    rule="tech_transfer_asymmetry",
                    counterparts=(other,),
                    severity=WARNING if state == "raise" else None,
                    metric="tech_transfer_received_to_delivered",
                    value=value,
                    threshold=t["ratio"] if state == "raise" else t["recovery"],
                    explanation=(
                        f"{the(nation.name, True)} has delivered technology of weight "
                        f"{delivered} to {the(counterpart.name)} in {balance.programme_name} "
                        f"but received {received} in return ({pct(value)}, "
                        f"{past(WARNING if state == 'raise' else None, t['ratio'], t['recovery'], pct)}"
                        f") over {pair.milestones_between} milestones."
                    ),
                    evidence={
                        "delivered_weight": delivered,
                        "received_weight": received,
                        "ratio": ev(value),
                        "milestones_between": pair.milestones_between,
                        "threshold": ev(t["ratio"]),
                        "recovery": ev(t["recovery"]),
                    },
                )
            )
    return found


@rule("tech_transfer_overdue")
def tech_transfer_overdue(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """Milestones to receive that are overdue (warning) or blocked (critical)."""
    found = []
    for nation in balance.nations:
        if not (nation.overdue_to_receive or nation.blocked_to_receive):
            continue
        severity = CRITICAL if nation.blocked_to_receive else WARNING
        days = int(t["overdue_days"])
        found.append(
            _condition(
                balance,
                nation,
                rule="tech_transfer_overdue",
                counterparts=(),
                severity=severity,
                metric="blocked_to_receive" if nation.blocked_to_receive else "overdue_to_receive",
                value=Decimal(nation.blocked_to_receive or nation.overdue_to_receive),
                threshold=Decimal(1),
                explanation=(
                    f"{the(nation.name, True)} waits for {nation.overdue_to_receive} "
                    f"tech-transfer milestone{'s' if nation.overdue_to_receive != 1 else ''} "
                    f"in {balance.programme_name} planned more than {days} days ago and not "
                    f"achieved, and {nation.blocked_to_receive} blocked."
                ),
                evidence={
                    "overdue_to_receive": nation.overdue_to_receive,
                    "blocked_to_receive": nation.blocked_to_receive,
                    "overdue_days": days,
                },
            )
        )
    return found


@rule("global_balance", scope="global")
def global_balance(returns: list[GlobalReturn], t: dict[str, Decimal]) -> list[Condition]:
    """A nation's return across the programmes of one currency below the warning threshold."""
    found = []
    for item in returns:
        state = _lower(item.global_return, t["warning"], t["recovery"])
        if state is None:
            continue
        found.append(
            Condition(
                rule="global_balance",
                programme=None,
                nation=item.nation,
                counterparts=(),
                severity=WARNING if state == "raise" else None,
                metric="global_return",
                value=item.global_return,
                threshold=t["warning"] if state == "raise" else t["recovery"],
                explanation=(
                    f"Across {and_join(item.programmes)} ({item.currency}), "
                    f"{the(item.name)} receives {pct(item.workshare_share)} of the work for "
                    f"{pct(item.contribution_share)} of the contributions: a global return of "
                    f"{num(item.global_return)}, "
                    f"{past(WARNING if state == 'raise' else None, t['warning'], t['recovery'])}."
                ),
                evidence={
                    "currency": item.currency,
                    "programmes": item.programmes,
                    "global_return": ev(item.global_return),
                    "workshare_share": ev(item.workshare_share),
                    "contribution_share": ev(item.contribution_share),
                    "work": ev(item.work),
                    "total_work": ev(item.total_work),
                    "contributions": ev(item.contributions),
                    "total_contributions": ev(item.total_contributions),
                    "threshold": ev(t["warning"]),
                    "recovery": ev(t["recovery"]),
                },
                discriminator=item.currency,
            )
        )
    return found
