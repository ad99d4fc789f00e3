"""A "caveat world" for the releasability matrix (tests/access/test_matrix.py).

Four nations: AAA, BBB and CCC take part in programmes, DDD in none. Records of every releasable
kind are marked releasable to a subset of them. Every record that some nation may not see
carries a unique marker in a text field (``QX…QX``: name, title, code or source) and, for
money, a distinctive amount; the builder writes down, record by record, which nations may see
it (its *audience*), from how the world is built and the rules of issue #7, never by asking
``programs.access``. That is the oracle the matrix checks every page against.

The programmes:

* ALPHA (EUR), participants AAA, BBB, CCC, unmarked: released to its participants. Inside it,
  records marked AAA+BBB (a 7 777 777.77 contribution, a work package with its workshare, a
  decision body with seats, a decision and votes, a lead role, a threshold override), records
  marked AAA+CCC (a decision, a transfer, a seat), workshare placed with organisations released
  to AAA only or to BBB+CCC only.
* BRAVO (GBP), participants AAA and BBB, marked releasable to AAA only: hidden from BBB although
  it takes part.
* CHARLIE (EUR), participants AAA and BBB, marked releasable to every nation: CCC and DDD see it
  too. Its predecessors are ALPHA and BRAVO; one of its lead roles is marked AAA+BBB.
* DELTA (JPY), participant CCC only, unmarked: hidden from AAA, BBB and DDD.

Outside programmes: organisations (one released to AAA only, one to BBB+CCC, a joint venture to
AAA+BBB), ownership stakes (one hidden from DDD only), agreements (one marked AAA+CCC).

Flags and snapshots come from a real scan of everything. A restricted nation may see a flag or
snapshot only for a programme it sees *in full*: nothing in it hidden, and nothing the scan
reads about its nations elsewhere (their participations in other programmes, their agreements)
hidden. Worked out by hand below (``SEEN_IN_FULL``).
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db import models as dj

from programs import models
from programs.balance.scan import scan_all
from tests import factories

AAA, BBB, CCC, DDD = "AAA", "BBB", "CCC", "DDD"
NATIONS = (AAA, BBB, CCC, DDD)
EVERY = frozenset(NATIONS)
AS_OF = datetime.date(2026, 6, 30)

#: Programmes each restricted nation sees in full (see the module docstring):
#: AAA: BRAVO (all of it released to AAA; its nations AAA and BBB take part elsewhere only in
#: ALPHA and CHARLIE, both released to AAA; their agreements include AAA) and CHARLIE (its AAA+BBB
#: role includes AAA; same nations as BRAVO). Not ALPHA: workshare there is placed with an
#: organisation released to BBB+CCC only.
#: BBB: none (BRAVO, where BBB and AAA take part, is hidden from it).
#: CCC: DELTA (all of it released to CCC; CCC's other participation is in ALPHA, released to CCC;
#: its only agreement is the AAA+CCC one).
#: DDD: none (it sees CHARLIE, but not AAA's and BBB's participations in ALPHA and BRAVO).
SEEN_IN_FULL = {AAA: {"qxbravoqx", "qxcharlieqx"}, BBB: set(), CCC: {"qxdeltaqx"}, DDD: set()}


@dataclass
class Entry:
    """One record of the world and who may see it."""

    obj: dj.Model
    audience: frozenset[str]
    markers: tuple[str, ...]


@dataclass
class CaveatWorld:
    nations: dict[str, models.Nation] = field(default_factory=dict)
    programmes: dict[str, models.Programme] = field(default_factory=dict)
    orgs: dict[str, models.Organisation] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    #: Restricted analysts by nation code; ``None`` is the unrestricted control analyst.
    users: dict[str | None, object] = field(default_factory=dict)
    #: Signed-in test clients by the same keys (made by the tests).
    clients: dict[str | None, object] = field(default_factory=dict)

    # -- the oracle ---------------------------------------------------------------------------

    @cached_property
    def audiences(self) -> dict[tuple[type[dj.Model], int], frozenset[str]]:
        return {(type(e.obj), e.obj.pk): e.audience for e in self.entries}

    def hidden_entries(self, nation: str | None) -> list[Entry]:
        if nation is None:
            return []
        return [entry for entry in self.entries if nation not in entry.audience]

    def hidden_markers(self, nation: str | None) -> frozenset[str]:
        """Every string the nation must never be shown."""
        return frozenset(
            marker for entry in self.hidden_entries(nation) for marker in entry.markers
        )

    @cached_property
    def all_markers(self) -> frozenset[str]:
        """Markers hidden from at least one nation (what the control user must be shown)."""
        return frozenset().union(*(self.hidden_markers(nation) for nation in NATIONS))

    def visible_pks(self, nation: str | None, model: type[dj.Model]) -> set[int]:
        """Primary keys of the model's rows the nation may see (all of them for None)."""
        if model is models.Flag:
            return {flag.pk for flag in self.visible_flags(nation)}
        if model is models.BalanceSnapshot:
            rows = models.BalanceSnapshot.objects.select_related("programme")
            return {s.pk for s in rows if self.sees_in_full(nation, s.programme.code)}
        every = set(model.objects.values_list("pk", flat=True))
        if nation is None:
            return every
        known = {pk for kind, pk in self.audiences if kind is model}
        assert known == every, f"{model.__name__} rows outside the world: {every - known}"
        return {
            pk
            for (kind, pk), seen_by in self.audiences.items()
            if kind is model and nation in seen_by
        }

    def is_visible(self, nation: str | None, obj: dj.Model) -> bool:
        if nation is None:
            return True
        if isinstance(obj, models.Flag | models.BalanceSnapshot):
            return obj.pk in self.visible_pks(nation, type(obj))
        audience = self.audiences.get((type(obj), obj.pk))
        return audience is None or nation in audience  # None: nations, users, groups, ...

    def sees_in_full(self, nation: str | None, code: str) -> bool:
        return nation is None or code in SEEN_IN_FULL[nation]

    def visible_flags(self, nation: str | None) -> list[models.Flag]:
        """Flags of programmes seen in full; a global flag when every programme of its
        currency is seen in full."""
        flags = list(models.Flag.objects.select_related("programme"))
        if nation is None:
            return flags
        currencies: dict[str, set[str]] = defaultdict(set)
        for programme in self.programmes.values():
            currencies[programme.currency].add(programme.code)
        visible = []
        for flag in flags:
            if flag.programme_id is not None:
                codes = {flag.programme.code}
            else:
                codes = currencies[flag.evidence["currency"]]
            if all(self.sees_in_full(nation, code) for code in codes):
                visible.append(flag)
        return visible

    def delete_hidden(self, nation: str) -> None:
        """Delete every row hidden from the nation, last built first (children before parents)."""
        for entry in reversed(self.hidden_entries(nation)):
            type(entry.obj).objects.filter(pk=entry.obj.pk).delete()

    # -- building -----------------------------------------------------------------------------

    def add(self, obj, audience, *markers: str, marking=None):
        """Record ``obj`` with the nations that may see it; ``marking`` sets its releasable_to."""
        if marking is not None:
            obj.releasable_to.set([self.nations[code] for code in marking])
        self.entries.append(Entry(obj, frozenset(audience), tuple(markers)))
        return obj


def _amount_markers(amount: str) -> tuple[str, ...]:
    """How a distinctive amount could be printed: raw, whole, with thousands separators."""
    whole = amount.split(".")[0]
    grouped = f"{int(whole):,}"
    return (amount, whole, grouped, grouped.replace(",", " "), grouped.replace(",", "\u202f"))


_days = itertools.count()


def _day() -> datetime.date:
    return datetime.date(2023, 1, 1) + datetime.timedelta(days=next(_days))


def build_caveat_world() -> CaveatWorld:
    w = CaveatWorld()
    f = factories
    abc, ab, ac, bc = (
        frozenset({AAA, BBB, CCC}),
        frozenset({AAA, BBB}),
        frozenset({AAA, CCC}),
        frozenset({BBB, CCC}),
    )
    only_a, only_c = frozenset({AAA}), frozenset({CCC})
    w.nations = {code: f.NationFactory(code=code, name=f"Nation {code}") for code in NATIONS}
    n = w.nations

    # Organisations, stakes and agreements: outside any programme, released to every nation
    # unless marked.
    for code in NATIONS:
        w.orgs[code] = w.add(
            f.OrganisationFactory(name=f"{code} Aero", nation=n[code], source=f"{code} register"),
            EVERY,
        )
    w.orgs["secret_a"] = w.add(
        f.OrganisationFactory(name="QXORGAQX Dynamics", nation=n[AAA], short_name="QXORGASQX"),
        only_a,
        "QXORGAQX",
        "QXORGASQX",
        marking=[AAA],
    )
    w.orgs["secret_bc"] = w.add(
        f.OrganisationFactory(name="QXORGBCQX Systems", nation=n[BBB]),
        bc,
        "QXORGBCQX",
        marking=[BBB, CCC],
    )
    jv_ab = w.add(
        f.JointVentureFactory(name="QXJVABQX Venture"), ab, "QXJVABQX", marking=[AAA, BBB]
    )
    w.add(
        f.OwnershipStakeFactory(venture=jv_ab, owner=w.orgs[AAA], percent=50, source="QXSTK1QX"),
        ab,
        "QXSTK1QX",
    )
    w.add(
        f.OwnershipStakeFactory(venture=jv_ab, owner=w.orgs[BBB], percent=50, source="QXSTK2QX"),
        ab,
        "QXSTK2QX",
    )
    public_jv = w.add(f.JointVentureFactory(name="Public Venture"), EVERY)
    w.add(f.OwnershipStakeFactory(venture=public_jv, owner=w.orgs[AAA], percent=50), EVERY)
    w.add(
        f.OwnershipStakeFactory(
            venture=public_jv, owner=w.orgs["secret_a"], percent=30, source="QXSTK3QX"
        ),
        only_a,
        "QXSTK3QX",
    )
    w.add(
        f.OwnershipStakeFactory(
            venture=public_jv, owner=w.orgs[CCC], percent=20, source="QXSTK4QX"
        ),
        abc,
        "QXSTK4QX",
        marking=[AAA, BBB, CCC],
    )
    w.add(f.AgreementFactory(name="Public Accord", nations=[n[AAA], n[BBB]]), EVERY)
    w.add(
        f.AgreementFactory(name="QXAGRACQX Accord", nations=[n[AAA], n[CCC]], source="QXAGRACQX"),
        ac,
        "QXAGRACQX",
        marking=[AAA, CCC],
    )

    _alpha(w, abc, ab, ac, bc, only_a)
    _bravo(w, only_a)
    _charlie(w, ab)
    _delta(w, only_c)

    w.programmes["qxcharlieqx"].predecessors.set(
        [w.programmes["qxalphaqx"], w.programmes["qxbravoqx"]]
    )

    _users(w)
    scan_all(AS_OF)
    return w


def _programme(w: CaveatWorld, code: str, name: str, currency: str, audience, marking=None):
    programme = factories.ProgrammeFactory(
        code=code, name=name, currency=currency, started_on=datetime.date(2020, 1, 1)
    )
    w.programmes[code] = w.add(programme, audience, code, name, marking=marking)
    return programme


def _money(w, programme, nation, amount, audience, *markers, marking=None):
    return w.add(
        factories.ContributionFactory(
            programme=programme,
            nation=w.nations[nation],
            amount=Decimal(amount),
            period_start=_day(),
            source=markers[0] if markers else "",
        ),
        audience,
        *markers,
        *(_amount_markers(amount) if markers else ()),
        marking=marking,
    )


def _work(w, package, org, amount, audience, *markers, marking=None):
    return w.add(
        factories.WorkshareAllocationFactory(
            work_package=package,
            organisation=w.orgs[org],
            amount=Decimal(amount),
            period_start=_day(),
            source=markers[0] if markers else "",
        ),
        audience,
        *markers,
        *(_amount_markers(amount) if markers else ()),
        marking=marking,
    )


def _alpha(w: CaveatWorld, abc, ab, ac, bc, only_a) -> None:
    f = factories
    n = w.nations
    alpha = _programme(w, "qxalphaqx", "QXALPHANAMEQX", "EUR", abc)
    for code in (AAA, BBB, CCC):
        w.add(f.ParticipationFactory(programme=alpha, nation=n[code]), abc)
        _money(w, alpha, code, "1000000.00", abc)
    _money(w, alpha, AAA, "7777777.77", ab, "QXCONABQX", marking=[AAA, BBB])

    package = w.add(
        f.WorkPackageFactory(
            programme=alpha, code="ALPHA-AIR", name="Alpha airframe", lead_organisation=w.orgs[AAA]
        ),
        abc,
    )
    _work(w, package, AAA, "900000.00", abc)
    _work(w, package, BBB, "1000000.00", abc)
    _work(w, package, CCC, "1000000.00", abc)
    _work(w, package, "secret_a", "5555555.55", only_a, "QXWSAQX")
    _work(w, package, "secret_bc", "4444444.44", bc, "QXWSBCQX")
    secret_package = w.add(
        f.WorkPackageFactory(programme=alpha, code="QXWPABQX", name="QXWPNAMEQX"),
        ab,
        "QXWPABQX",
        "QXWPNAMEQX",
        marking=[AAA, BBB],
    )
    _work(w, secret_package, AAA, "6666666.66", ab, "QXWSABQX")

    board = w.add(f.DecisionBodyFactory(programme=alpha, name="Alpha board"), abc)
    for code in (AAA, BBB):
        w.add(f.SeatFactory(body=board, nation=n[code]), abc)
    w.add(
        f.SeatFactory(body=board, nation=n[CCC], votes=3, source="QXSEATCQX"),
        ac,
        "QXSEATCQX",
        marking=[AAA, CCC],
    )
    first = w.add(f.DecisionFactory(body=board, title="Alpha decision one"), abc)
    w.add(f.VoteFactory(decision=first, nation=n[AAA], position="for"), abc)
    w.add(f.VoteFactory(decision=first, nation=n[BBB], position="against"), abc)
    w.add(
        f.VoteFactory(decision=first, nation=n[CCC], position="against", source="QXVOTECQX"),
        ab,
        "QXVOTECQX",
        marking=[AAA, BBB],
    )
    secret_decision = w.add(
        f.DecisionFactory(body=board, title="QXDECACQX", outcome="rejected"),
        ac,
        "QXDECACQX",
        marking=[AAA, CCC],
    )
    for code in (AAA, CCC):
        marker = f"QXVOTEAC{code}QX"
        w.add(f.VoteFactory(decision=secret_decision, nation=n[code], source=marker), ac, marker)

    secret_board = w.add(
        f.DecisionBodyFactory(programme=alpha, name="QXBODYABQX"),
        ab,
        "QXBODYABQX",
        marking=[AAA, BBB],
    )
    for code in (AAA, BBB):
        marker = f"QXSEATAB{code}QX"
        w.add(f.SeatFactory(body=secret_board, nation=n[code], source=marker), ab, marker)
    secret_body_decision = w.add(
        f.DecisionFactory(body=secret_board, title="QXDECABQX"), ab, "QXDECABQX"
    )
    for code in (AAA, BBB):
        marker = f"QXVOTEAB{code}QX"
        w.add(
            f.VoteFactory(decision=secret_body_decision, nation=n[code], source=marker),
            ab,
            marker,
        )

    w.add(
        f.LeadershipRoleFactory(programme=alpha, nation=n[BBB], title="Alpha chief engineer"), abc
    )
    w.add(
        f.LeadershipRoleFactory(programme=alpha, nation=n[AAA], title="QXROLEABQX", weight=5),
        ab,
        "QXROLEABQX",
        marking=[AAA, BBB],
    )
    w.add(
        f.TechTransferMilestoneFactory(
            programme=alpha, title="Alpha sensors", provider=w.orgs[BBB], recipient=w.orgs[AAA]
        ),
        abc,
    )
    w.add(
        f.TechTransferMilestoneFactory(
            programme=alpha, title="QXTTACQX", provider=w.orgs[AAA], recipient=w.orgs[CCC]
        ),
        ac,
        "QXTTACQX",
        marking=[AAA, CCC],
    )
    w.add(
        f.TechTransferMilestoneFactory(
            programme=alpha, title="QXTTSAQX", provider=w.orgs["secret_a"], recipient=w.orgs[BBB]
        ),
        only_a,
        "QXTTSAQX",
    )
    w.add(
        f.ThresholdOverrideFactory(
            programme=alpha, rule="leadership_deficit", parameter="ratio", value=Decimal("0.5")
        ),
        abc,
    )
    w.add(
        f.ThresholdOverrideFactory(
            programme=alpha,
            rule="workshare_return",
            parameter="warning",
            value=Decimal("0.9123"),
            source="QXTHRABQX",
        ),
        ab,
        "QXTHRABQX",
        "0.9123",
        marking=[AAA, BBB],
    )


def _bravo(w: CaveatWorld, only_a) -> None:
    """Everything in BRAVO is released to AAA only, through the programme's marking."""
    f = factories
    n = w.nations
    bravo = _programme(w, "qxbravoqx", "QXBRAVONAMEQX", "GBP", only_a, marking=[AAA])
    for code in (AAA, BBB):
        marker = f"QXBPART{code}QX"
        w.add(
            f.ParticipationFactory(programme=bravo, nation=n[code], source=marker), only_a, marker
        )
    _money(w, bravo, AAA, "2013579.11", only_a, "QXBCONAQX")
    _money(w, bravo, BBB, "2468013.57", only_a, "QXBCONBQX")
    package = w.add(
        f.WorkPackageFactory(programme=bravo, code="QXBWPQX", name="Bravo engines"),
        only_a,
        "QXBWPQX",
    )
    _work(w, package, AAA, "1357911.13", only_a, "QXBWSAQX")
    _work(w, package, BBB, "3024681.35", only_a, "QXBWSBQX")
    board = w.add(f.DecisionBodyFactory(programme=bravo, name="QXBBOARDQX"), only_a, "QXBBOARDQX")
    for code in (AAA, BBB):
        marker = f"QXBSEAT{code}QX"
        w.add(f.SeatFactory(body=board, nation=n[code], source=marker), only_a, marker)
    decision = w.add(f.DecisionFactory(body=board, title="QXBDECQX"), only_a, "QXBDECQX")
    for code in (AAA, BBB):
        marker = f"QXBVOTE{code}QX"
        w.add(f.VoteFactory(decision=decision, nation=n[code], source=marker), only_a, marker)
    w.add(
        f.LeadershipRoleFactory(programme=bravo, nation=n[AAA], title="QXBROLEQX", weight=4),
        only_a,
        "QXBROLEQX",
    )
    w.add(
        f.TechTransferMilestoneFactory(
            programme=bravo, title="QXBTTQX", provider=w.orgs[AAA], recipient=w.orgs[BBB]
        ),
        only_a,
        "QXBTTQX",
    )
    w.add(
        f.ThresholdOverrideFactory(
            programme=bravo,
            rule="outvoted",
            parameter="warning",
            value=Decimal("0.3"),
            source="QXBTHRQX",
        ),
        only_a,
        "QXBTHRQX",
    )


def _charlie(w: CaveatWorld, ab) -> None:
    """Released to every nation by its marking, though only AAA and BBB take part."""
    f = factories
    n = w.nations
    charlie = _programme(w, "qxcharlieqx", "QXCHARLIENAMEQX", "EUR", EVERY, marking=list(NATIONS))
    for code in (AAA, BBB):
        w.add(f.ParticipationFactory(programme=charlie, nation=n[code]), EVERY)
        _money(w, charlie, code, "1000000.00", EVERY)
    package = w.add(
        f.WorkPackageFactory(programme=charlie, code="CHARLIE-AIR", name="Charlie airframe"),
        EVERY,
    )
    _work(w, package, AAA, "1500000.00", EVERY)
    _work(w, package, BBB, "500000.00", EVERY)
    board = w.add(f.DecisionBodyFactory(programme=charlie, name="Charlie board"), EVERY)
    for code in (AAA, BBB):
        w.add(f.SeatFactory(body=board, nation=n[code]), EVERY)
    decision = w.add(f.DecisionFactory(body=board, title="Charlie decision"), EVERY)
    for code in (AAA, BBB):
        w.add(f.VoteFactory(decision=decision, nation=n[code]), EVERY)
    w.add(
        f.LeadershipRoleFactory(
            programme=charlie, nation=n[AAA], title="Charlie director", weight=3
        ),
        EVERY,
    )
    w.add(
        f.LeadershipRoleFactory(programme=charlie, nation=n[AAA], title="QXCROLEQX", weight=2),
        ab,
        "QXCROLEQX",
        marking=[AAA, BBB],
    )
    w.add(
        f.TechTransferMilestoneFactory(
            programme=charlie, title="Charlie radar", provider=w.orgs[AAA], recipient=w.orgs[BBB]
        ),
        EVERY,
    )


def _delta(w: CaveatWorld, only_c) -> None:
    """CCC's own programme: released to its only participant."""
    f = factories
    n = w.nations
    delta = _programme(w, "qxdeltaqx", "QXDELTANAMEQX", "JPY", only_c)
    w.add(
        f.ParticipationFactory(programme=delta, nation=n[CCC], source="QXDPARTQX"),
        only_c,
        "QXDPARTQX",
    )
    _money(w, delta, CCC, "3141592.65", only_c, "QXDCONQX")
    package = w.add(
        f.WorkPackageFactory(programme=delta, code="QXDWPQX", name="Delta sensors"),
        only_c,
        "QXDWPQX",
    )
    _work(w, package, CCC, "1234567.89", only_c, "QXDWSCQX")
    _work(w, package, AAA, "2718281.82", only_c, "QXDWSAQX")
    board = w.add(f.DecisionBodyFactory(programme=delta, name="QXDBOARDQX"), only_c, "QXDBOARDQX")
    w.add(f.SeatFactory(body=board, nation=n[CCC], source="QXDSEATQX"), only_c, "QXDSEATQX")
    decision = w.add(f.DecisionFactory(body=board, title="QXDDECQX"), only_c, "QXDDECQX")
    w.add(f.VoteFactory(decision=decision, nation=n[CCC], source="QXDVOTEQX"), only_c, "QXDVOTEQX")
    w.add(
        f.LeadershipRoleFactory(programme=delta, nation=n[CCC], title="QXDROLEQX", weight=3),
        only_c,
        "QXDROLEQX",
    )


def _users(w: CaveatWorld) -> None:
    """An analyst of each nation, restricted by their clearance, and an unrestricted one."""
    for code in NATIONS:
        user = factories.UserFactory(username=f"analyst_{code.lower()}", groups=["analyst"])
        models.Clearance.objects.create(user=user, nation=w.nations[code])
        w.users[code] = user
    w.users[None] = factories.UserFactory(username="analyst_all", groups=["analyst"])
