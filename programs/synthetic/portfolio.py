"""A synthetic portfolio: many programmes with realistic shapes, for demos and benchmarks.

Generated demo data, not facts: every row is ``confidence=illustrative`` with
``source="synthetic (generate_portfolio seed S)"``. It is written in bulk (PostgreSQL ``COPY``,
large ``bulk_create`` batches elsewhere), so it deliberately bypasses per-row history
(django-simple-history records nothing for it), model ``clean()`` and the on-change scan
signals: the database's own constraints still hold for every row, and a scan (``manage.py
scan``) computes the balance of the whole portfolio afterwards.

The same seed and sizes give the same rows (ids aside): all randomness comes from one
``random.Random(seed)`` and dates are counted from a fixed day, not today.

Shapes: nation sizes follow a Pareto law, so agreed shares are skewed; nations come in blocs
(pairs sharing earlier, ended programmes and a treaty, and voting together); joint ventures
are owned by firms of two or three nations with 50/50, 60/40 or 33.4/33.3/33.3 stakes; work is
placed unevenly against agreed shares; some tech-transfer milestones are overdue or blocked.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import TypeVar

from django.db import connection, transaction
from django.db.models import Model

from programs import data_version
from programs.models import (
    Agreement,
    Confidence,
    Contribution,
    Decision,
    DecisionBody,
    Domain,
    LeadershipRole,
    Nation,
    Organisation,
    OwnershipStake,
    Participation,
    Programme,
    Seat,
    TechTransferMilestone,
    Vote,
    WorkPackage,
    WorkshareAllocation,
)
from programs.models.fields import column, concrete_field
from programs.models.programmes import RoleDomain

M = TypeVar("M", bound=Model)

#: Dates are counted from this day, never from today, so a seed always gives the same rows.
ANCHOR = datetime.date(2025, 6, 30)
SQLITE_BATCH = 5000
WORK_PACKAGES_PER_PROGRAMME = 8

NATION_POOL = [
    ("GBR", "United Kingdom"),
    ("ITA", "Italy"),
    ("JPN", "Japan"),
    ("FRA", "France"),
    ("DEU", "Germany"),
    ("ESP", "Spain"),
    ("SWE", "Sweden"),
    ("NLD", "Netherlands"),
    ("BEL", "Belgium"),
    ("NOR", "Norway"),
    ("POL", "Poland"),
    ("USA", "United States"),
    ("AUS", "Australia"),
    ("CAN", "Canada"),
    ("KOR", "Republic of Korea"),
    ("DNK", "Denmark"),
    ("FIN", "Finland"),
    ("PRT", "Portugal"),
    ("GRC", "Greece"),
    ("CHE", "Switzerland"),
]
TECHNOLOGY_AREAS = [
    "radar",
    "composites",
    "engine hot section",
    "stealth coatings",
    "datalinks",
    "flight control software",
    "weapons integration",
    "electronic warfare",
]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PortfolioSize:
    programmes: int
    nations: int
    workshare: int
    milestones: int
    decisions: int

    def errors(self) -> list[str]:
        errors = []
        if self.programmes < 1:
            errors.append("--programmes must be at least 1.")
        if self.nations < 2:
            errors.append("--nations must be at least 2: a programme has two or more nations.")
        if self.nations > 26 * 26 + len(NATION_POOL):
            errors.append("--nations is too large.")
        for name in ("workshare", "milestones", "decisions"):
            if getattr(self, name) < 0:
                errors.append(f"--{name} must not be negative.")
        return errors


@dataclass
class GeneratedCounts:
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, model: type[Model], count: int) -> None:
        self.rows[model._meta.label] = self.rows.get(model._meta.label, 0) + count


def source_for(seed: int) -> str:
    return f"synthetic (generate_portfolio seed {seed})"


def split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` by largest remainder (sums to ``total``)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def percentages(weights: list[float]) -> list[Decimal]:
    """Two-decimal percentages in proportion to ``weights`` that add up to exactly 100."""
    cents = split(10000, weights)
    return [Decimal(c) / 100 for c in cents]


def add_years(day: datetime.date, years: int) -> datetime.date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


class Writer:
    """Writes rows of one model: COPY on PostgreSQL, bulk_create batches elsewhere."""

    def __init__(self, progress: Progress, counts: GeneratedCounts) -> None:
        self.progress = progress
        self.counts = counts

    def write(
        self,
        model: type[Model],
        fields: list[str],
        rows: Iterable[tuple],
        total: int,
        label: str,
    ) -> None:
        done = 0
        step = max(total // 50, 1)
        self.progress(label, 0, total)
        if connection.vendor == "postgresql":
            columns = ", ".join(connection.ops.quote_name(column(model, f)) for f in fields)
            table = connection.ops.quote_name(model._meta.db_table)
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    done += 1
                    if done % step == 0:
                        self.progress(label, done, total)
        else:
            attnames = [concrete_field(model, f).attname for f in fields]
            iterator = iter(rows)
            while batch := list(islice(iterator, SQLITE_BATCH)):
                model._default_manager.bulk_create(
                    [model(**dict(zip(attnames, row, strict=True))) for row in batch]
                )
                done += len(batch)
                self.progress(label, done, total)
        self.progress(label, done, total)
        self.counts.add(model, done)


@dataclass
class ProgrammePlan:
    pk: int
    code: str
    started_on: datetime.date
    ended_on: datetime.date | None
    #: Nation ids, biggest agreed share first.
    nations: list[int]
    shares: dict[int, Decimal]
    #: Work placed per nation against its agreed share (1 = in line).
    work_bias: dict[int, float]
    bloc: tuple[int, int] | None
    work_packages: list[int] = field(default_factory=list)
    bodies: list[int] = field(default_factory=list)
    organisations: list[int] = field(default_factory=list)


class PortfolioGenerator:
    def __init__(self, size: PortfolioSize, seed: int, progress: Progress | None = None) -> None:
        self.size = size
        self.seed = seed
        self.rng = random.Random(seed)
        self.progress: Progress = progress or (lambda label, done, total: None)
        self.counts = GeneratedCounts()
        self.writer = Writer(self.progress, self.counts)
        self.source = source_for(seed)
        self.prefix = f"SYN{seed}"
        self.provenance = {"source": self.source, "confidence": Confidence.ILLUSTRATIVE}

    # --- small tables: bulk_create, ids come back ------------------------------------------

    def create(self, model: type[M], objects: list[M]) -> list[M]:
        created = model._default_manager.bulk_create(objects, batch_size=SQLITE_BATCH)
        self.counts.add(model, len(created))
        return created

    def nations(self) -> None:
        wanted = list(NATION_POOL[: self.size.nations])
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        extra = (f"Q{a}{b}" for a in letters for b in letters)
        while len(wanted) < self.size.nations:
            code = next(extra)
            wanted.append((code, f"Synthetic nation {code}"))
        existing = dict(
            Nation.objects.filter(code__in=[c for c, _ in wanted]).values_list("code", "pk")
        )
        missing = [
            Nation(code=code, name=name, **self.provenance)
            for code, name in wanted
            if code not in existing
        ]
        for nation in self.create(Nation, missing):
            existing[nation.code] = nation.pk
        self.nation_ids = [existing[code] for code, _ in wanted]
        self.nation_codes = {existing[code]: code for code, _ in wanted}
        # Pareto sizes: a few big nations, a long tail of small ones.
        self.size_of = {nid: self.rng.paretovariate(1.3) for nid in self.nation_ids}
        shuffled = self.nation_ids[:]
        self.rng.shuffle(shuffled)
        self.blocs = [(shuffled[i], shuffled[i + 1]) for i in range(0, len(shuffled) - 1, 2)]
        self.partner = {a: b for a, b in self.blocs} | {b: a for a, b in self.blocs}

    def organisations(self) -> None:
        objects = []
        for nid in self.nation_ids:
            code = self.nation_codes[nid]
            objects.append(
                Organisation(
                    name=f"{self.prefix} {code} Ministry of Defence",
                    short_name=f"{code} MoD",
                    nation_id=nid,
                    kind=Organisation.Kind.GOVERNMENT,
                    **self.provenance,
                )
            )
            for k in range(2):
                for kind in (Organisation.Kind.PRIME, Organisation.Kind.SUPPLIER):
                    objects.append(
                        Organisation(
                            name=f"{self.prefix} {code} {kind.label} {k + 1}",
                            nation_id=nid,
                            kind=kind,
                            **self.provenance,
                        )
                    )
        created = self.create(Organisation, objects)
        self.firms: dict[int, list[int]] = {nid: [] for nid in self.nation_ids}
        self.primes: dict[int, list[int]] = {nid: [] for nid in self.nation_ids}
        for org in created:
            if org.nation_id is None:  # every organisation here has its nation
                continue
            if org.kind != Organisation.Kind.GOVERNMENT:
                self.firms[org.nation_id].append(org.pk)
            if org.kind == Organisation.Kind.PRIME:
                self.primes[org.nation_id].append(org.pk)

        # Joint ventures: one per bloc, plus one of three nations where there are three.
        owner_sets = [list(bloc) for bloc in self.blocs]
        if len(self.nation_ids) >= 3:
            owner_sets.append(self.rng.sample(self.nation_ids, 3))
        ventures = self.create(
            Organisation,
            [
                Organisation(
                    name=f"{self.prefix} Joint Venture {i + 1} "
                    + "-".join(self.nation_codes[n] for n in owners),
                    kind=Organisation.Kind.JOINT_VENTURE,
                    **self.provenance,
                )
                for i, owners in enumerate(owner_sets)
            ],
        )
        stakes = []
        self.ventures: list[tuple[int, list[int]]] = []
        for venture, owners in zip(ventures, owner_sets, strict=True):
            splits = (
                [Decimal("33.4"), Decimal("33.3"), Decimal("33.3")]
                if len(owners) == 3
                else self.rng.choice([[Decimal(50), Decimal(50)], [Decimal(60), Decimal(40)]])
            )
            for nid, percent in zip(owners, splits, strict=True):
                stakes.append(
                    OwnershipStake(
                        venture_id=venture.pk,
                        owner_id=self.primes[nid][0],
                        percent=percent,
                        **self.provenance,
                    )
                )
            self.ventures.append((venture.pk, owners))
        self.create(OwnershipStake, stakes)

    def agreements(self) -> None:
        through = Agreement.nations.through
        objects, members = [], []
        for i, (a, b) in enumerate(self.blocs):
            objects.append(
                Agreement(
                    name=f"{self.prefix} treaty {self.nation_codes[a]}-{self.nation_codes[b]}",
                    kind=Agreement.Kind.TREATY,
                    signed_on=datetime.date(1985 + (i * 3) % 30, 3, 1),
                    **self.provenance,
                )
            )
            members.append((a, b))
        created = self.create(Agreement, objects)
        rows = [
            through(agreement_id=agreement.pk, nation_id=nid)
            for agreement, pair in zip(created, members, strict=True)
            for nid in pair
        ]
        through.objects.bulk_create(rows, batch_size=SQLITE_BATCH)

    def pick_nations(self) -> list[int]:
        count = min(self.rng.choice([2, 3, 3, 4, 4, 5, 6]), len(self.nation_ids))
        chosen: list[int] = []
        pool = self.nation_ids[:]
        while len(chosen) < count:
            weights = [self.size_of[n] for n in pool]
            nid = self.rng.choices(pool, weights=weights)[0]
            pool.remove(nid)
            chosen.append(nid)
            partner = self.partner.get(nid)
            if (
                partner in pool
                and len(chosen) < count
                and self.rng.random() < 0.7  # blocs go in together
            ):
                pool.remove(partner)
                chosen.append(partner)
        return chosen

    def programmes(self) -> None:
        count = self.size.programmes
        objects, plans = [], []
        for i in range(count):
            year = 1970 + (i * 55) // count
            started = datetime.date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))
            if year < 2000:
                status = self.rng.choice(
                    [
                        Programme.Status.IN_SERVICE,
                        Programme.Status.MERGED,
                        Programme.Status.CANCELLED,
                    ]
                )
                ended = add_years(started, self.rng.randint(8, 22))
            else:
                status = self.rng.choice(
                    [Programme.Status.DEVELOPMENT, Programme.Status.PRODUCTION]
                )
                ended = None
            code = f"syn{self.seed}-{i + 1:04d}"
            objects.append(
                Programme(
                    code=code,
                    name=f"Synthetic programme {i + 1} (seed {self.seed})",
                    status=status,
                    currency=self.rng.choice(["EUR", "EUR", "GBP", "USD"]),
                    started_on=started,
                    ended_on=ended,
                    **self.provenance,
                )
            )
            nations = self.pick_nations()
            weights = [self.size_of[n] * self.rng.uniform(0.6, 1.4) for n in nations]
            order = sorted(range(len(nations)), key=lambda k: -weights[k])
            nations = [nations[k] for k in order]
            shares = dict(zip(nations, percentages([weights[k] for k in order]), strict=True))
            present_blocs = [b for b in self.blocs if b[0] in nations and b[1] in nations]
            plans.append(
                ProgrammePlan(
                    pk=0,
                    code=code,
                    started_on=started,
                    ended_on=ended,
                    nations=nations,
                    shares=shares,
                    # The lead nation tends to get more work than it pays for.
                    work_bias={
                        n: (self.rng.uniform(1.1, 1.6) if k == 0 else self.rng.uniform(0.5, 1.2))
                        for k, n in enumerate(nations)
                    },
                    bloc=present_blocs[0] if present_blocs else None,
                )
            )
        for programme, plan in zip(self.create(Programme, objects), plans, strict=True):
            plan.pk = programme.pk
        self.plans = plans
        # How much of the big tables each programme gets: skewed, a few big programmes.
        self.programme_weights = [self.rng.paretovariate(1.5) for _ in plans]

    def participations(self) -> None:
        objects = []
        for plan in self.plans:
            for k, nid in enumerate(plan.nations):
                share = plan.shares[nid]
                role = (
                    Participation.Role.LEAD
                    if k == 0
                    else Participation.Role.PARTNER
                    if share >= 15
                    else Participation.Role.JUNIOR
                )
                objects.append(
                    Participation(
                        programme_id=plan.pk,
                        nation_id=nid,
                        role=role,
                        agreed_share=share,
                        joined_on=plan.started_on,
                        left_on=plan.ended_on,
                        **self.provenance,
                    )
                )
                plan.organisations.extend(self.firms[nid])
            for venture, owners in self.ventures:
                if all(owner in plan.nations for owner in owners):
                    plan.organisations.append(venture)
        self.create(Participation, objects)

    def work_packages(self) -> None:
        domains = list(Domain.values)
        objects = []
        for plan in self.plans:
            for j in range(WORK_PACKAGES_PER_PROGRAMME):
                objects.append(
                    WorkPackage(
                        programme_id=plan.pk,
                        code=f"WP{j + 1:02d}",
                        name=f"Work package {j + 1}",
                        domain=domains[j % len(domains)],
                        lead_organisation_id=self.primes[plan.nations[j % len(plan.nations)]][0],
                        **self.provenance,
                    )
                )
        created = iter(self.create(WorkPackage, objects))
        for plan in self.plans:
            plan.work_packages = [next(created).pk for _ in range(WORK_PACKAGES_PER_PROGRAMME)]

    def leadership_and_bodies(self) -> None:
        roles, bodies = [], []
        role_domains = list(RoleDomain.values)
        for plan in self.plans:
            for j, domain in enumerate(role_domains[:5]):
                # Roles go mostly to the big nations.
                weights = [float(plan.shares[n]) for n in plan.nations]
                nid = plan.nations[0] if j == 0 else self.rng.choices(plan.nations, weights)[0]
                roles.append(
                    LeadershipRole(
                        programme_id=plan.pk,
                        title=f"Head of {domain.replace('_', ' ')}",
                        domain=domain,
                        weight=5 if j == 0 else self.rng.randint(1, 4),
                        nation_id=nid,
                        started_on=plan.started_on,
                        **self.provenance,
                    )
                )
            for name, level, rule in (
                (
                    "Steering Board",
                    DecisionBody.Level.GOVERNMENTAL,
                    DecisionBody.VotingRule.UNANIMITY,
                ),
                (
                    "Industrial Board",
                    DecisionBody.Level.INDUSTRIAL,
                    DecisionBody.VotingRule.MAJORITY,
                ),
            ):
                bodies.append(
                    DecisionBody(
                        programme_id=plan.pk,
                        name=name,
                        level=level,
                        voting_rule=rule,
                        **self.provenance,
                    )
                )
        self.create(LeadershipRole, roles)
        created = iter(self.create(DecisionBody, bodies))
        seats = []
        for plan in self.plans:
            plan.bodies = [next(created).pk, next(created).pk]
            for b, body in enumerate(plan.bodies):
                for k, nid in enumerate(plan.nations):
                    seats.append(
                        Seat(
                            body_id=body,
                            nation_id=nid,
                            votes=1 if b == 0 else 1 + int(plan.shares[nid]) // 10,
                            veto=b == 0,
                            chair=k == 0,
                            **self.provenance,
                        )
                    )
        self.create(Seat, seats)

    # --- big tables: streamed ---------------------------------------------------------------

    def contributions(self) -> None:
        fields = [
            "programme",
            "nation",
            "period_start",
            "period_end",
            "amount",
            "source",
            "confidence",
        ]
        plans = self.plans

        def rows() -> Iterator[tuple]:
            for plan, weight in zip(plans, self.programme_weights, strict=True):
                budget = 200_000_000 * weight
                years = min(((plan.ended_on or ANCHOR).year - plan.started_on.year) + 1, 12)
                for y in range(years):
                    year = plan.started_on.year + y
                    for nid in plan.nations:
                        amount = budget * float(plan.shares[nid]) / 100 * self.rng.uniform(0.8, 1.2)
                        yield (
                            plan.pk,
                            nid,
                            datetime.date(year, 1, 1),
                            datetime.date(year, 12, 31),
                            Decimal(f"{amount:.2f}"),
                            self.source,
                            Confidence.ILLUSTRATIVE,
                        )

        total = sum(
            min(((p.ended_on or ANCHOR).year - p.started_on.year) + 1, 12) * len(p.nations)
            for p in plans
        )
        self.writer.write(Contribution, fields, rows(), total, "contributions")

    def workshare(self) -> None:
        fields = [
            "work_package",
            "organisation",
            "amount",
            "period_start",
            "period_end",
            "source",
            "confidence",
        ]
        counts = split(self.size.workshare, self.programme_weights)
        nation_of = {org: nid for nid, orgs in self.firms.items() for org in orgs}
        venture_owners = dict(self.ventures)

        def rows() -> Iterator[tuple]:
            rng = self.rng
            for plan, count in zip(self.plans, counts, strict=True):
                if not count:
                    continue
                orgs = plan.organisations
                wps = plan.work_packages
                factor = {}
                for org in orgs:
                    owners = venture_owners.get(org) or [nation_of[org]]
                    factor[org] = sum(
                        float(plan.shares[n]) * plan.work_bias[n] for n in owners
                    ) / len(owners)
                per_cycle = len(wps) * len(orgs)
                periods = -(-count // per_cycle)
                step = max(1, (20 * 365) // periods)
                for k in range(count):
                    j, wp = divmod(k, len(wps))
                    period, o = divmod(j, len(orgs))
                    org = orgs[o]
                    start = plan.started_on + datetime.timedelta(days=period * step)
                    amount = factor[org] * 10_000 * rng.lognormvariate(0, 0.5)
                    yield (
                        wps[wp],
                        org,
                        Decimal(f"{amount:.2f}"),
                        start,
                        start + datetime.timedelta(days=step - 1),
                        self.source,
                        Confidence.ILLUSTRATIVE,
                    )

        self.writer.write(WorkshareAllocation, fields, rows(), self.size.workshare, "workshare")

    def milestones(self) -> None:
        fields = [
            "programme",
            "title",
            "technology_area",
            "provider",
            "recipient",
            "planned_on",
            "achieved_on",
            "status",
            "access_level",
            "export_control",
            "weight",
            "source",
            "confidence",
        ]
        counts = split(self.size.milestones, self.programme_weights)
        status = TechTransferMilestone.Status
        access = list(TechTransferMilestone.AccessLevel.values)

        def rows() -> Iterator[tuple]:
            rng = self.rng
            for plan, count in zip(self.plans, counts, strict=True):
                span = max(((plan.ended_on or ANCHOR) - plan.started_on).days, 30)
                big = plan.nations[0]
                for k in range(count):
                    provider_nation, recipient_nation = rng.sample(plan.nations, 2)
                    # The lead nation hands over less than it receives.
                    if provider_nation == big and rng.random() < 0.4:
                        provider_nation, recipient_nation = recipient_nation, provider_nation
                    planned = plan.started_on + datetime.timedelta(days=rng.randrange(span))
                    achieved = None
                    roll = rng.random()
                    if planned >= ANCHOR:
                        state = status.PLANNED if roll < 0.8 else status.IN_PROGRESS
                    elif roll < 0.6:
                        state = status.ACHIEVED
                        achieved = min(
                            planned + datetime.timedelta(days=rng.randint(-30, 240)), ANCHOR
                        )
                    elif roll < 0.75:
                        state = status.DELAYED
                    elif roll < 0.85:
                        state = status.IN_PROGRESS  # overdue: planned long ago, not achieved
                    elif roll < 0.92:
                        state = status.BLOCKED
                    elif roll < 0.96:
                        state = status.CANCELLED
                    else:
                        state = status.PLANNED  # overdue too
                    yield (
                        plan.pk,
                        f"TT-{k + 1:07d}",
                        rng.choice(TECHNOLOGY_AREAS),
                        rng.choice(self.firms[provider_nation]),
                        rng.choice(self.firms[recipient_nation]),
                        planned,
                        achieved,
                        state,
                        rng.choice(access),
                        "ITAR" if rng.random() < 0.1 else "",
                        rng.randint(1, 5),
                        self.source,
                        Confidence.ILLUSTRATIVE,
                    )

        self.writer.write(TechTransferMilestone, fields, rows(), self.size.milestones, "milestones")

    def decisions(self) -> None:
        fields = ["body", "decided_on", "title", "outcome", "proposer", "source", "confidence"]
        counts = split(self.size.decisions, self.programme_weights)
        outcome = Decision.Outcome
        plans_by_body: dict[int, ProgrammePlan] = {}
        outcomes: dict[tuple[int, str], str] = {}

        def rows() -> Iterator[tuple]:
            rng = self.rng
            for plan, count in zip(self.plans, counts, strict=True):
                span = max(((plan.ended_on or ANCHOR) - plan.started_on).days, 30)
                for k in range(count):
                    body = plan.bodies[k % 2]
                    plans_by_body[body] = plan
                    roll = rng.random()
                    result = (
                        outcome.APPROVED
                        if roll < 0.7
                        else outcome.REJECTED
                        if roll < 0.9
                        else outcome.DEFERRED
                    )
                    title = f"Decision {k + 1:06d}"
                    outcomes[(body, title)] = result
                    yield (
                        body,
                        plan.started_on + datetime.timedelta(days=rng.randrange(span)),
                        title,
                        result,
                        rng.choice(plan.nations),
                        self.source,
                        Confidence.ILLUSTRATIVE,
                    )

        self.writer.write(Decision, fields, rows(), self.size.decisions, "decisions")
        ids = Decision.objects.filter(body_id__in=list(plans_by_body)).values_list(
            "body_id", "title", "pk"
        )
        decided = sorted(
            (pk, body, outcomes[(body, title)])
            for body, title, pk in ids
            if (body, title) in outcomes
        )
        self.votes(decided, plans_by_body)

    def votes(self, decided: list[tuple[int, int, str]], plans_by_body: dict) -> None:
        fields = ["decision", "nation", "position", "source", "confidence"]
        position = Vote.Position
        total = sum(len(plans_by_body[body].nations) for _, body, _ in decided)

        def rows() -> Iterator[tuple]:
            rng = self.rng
            for pk, body, result in decided:
                plan = plans_by_body[body]
                if result == Decision.Outcome.DEFERRED:
                    for nid in plan.nations:
                        yield (
                            pk,
                            nid,
                            rng.choice([position.ABSTAIN, position.ABSENT]),
                            self.source,
                            Confidence.ILLUSTRATIVE,
                        )
                    continue
                winning = position.FOR if result == Decision.Outcome.APPROVED else position.AGAINST
                losing = position.AGAINST if winning == position.FOR else position.FOR
                for nid in plan.nations:
                    if plan.bloc and nid in plan.bloc:
                        choice = winning  # the bloc carries the vote together
                    else:
                        roll = rng.random()
                        choice = (
                            winning if roll < 0.7 else losing if roll < 0.95 else position.ABSTAIN
                        )
                    yield (pk, nid, choice, self.source, Confidence.ILLUSTRATIVE)

        self.writer.write(Vote, fields, rows(), total, "votes")

    def run(self) -> GeneratedCounts:
        with transaction.atomic():
            self.progress("reference data", 0, 1)
            self.nations()
            self.organisations()
            self.agreements()
            self.programmes()
            self.participations()
            self.work_packages()
            self.leadership_and_bodies()
            self.progress("reference data", 1, 1)
            self.contributions()
            self.workshare()
            self.milestones()
            self.decisions()
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Fresh statistics and visibility map: planner estimates and index-only scans.
            with connection.cursor() as cursor:
                for model in (
                    Contribution,
                    WorkshareAllocation,
                    TechTransferMilestone,
                    Decision,
                    Vote,
                ):
                    cursor.execute(
                        f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}"
                    )
        return self.counts


def generate_portfolio(
    size: PortfolioSize, seed: int, progress: Progress | None = None
) -> GeneratedCounts:
    """Write a synthetic portfolio of ``size`` for ``seed`` in one transaction; return counts.

    Refuses a seed already generated in this database (its programme codes would clash).
    """
    errors = size.errors()
    if errors:
        raise ValueError(" ".join(errors))
    if Programme.objects.filter(code__startswith=f"syn{seed}-").exists():
        raise ValueError(
            f"A portfolio for seed {seed} is already in this database (programmes syn{seed}-*)."
        )
    counts = PortfolioGenerator(size, seed, progress).run()
    data_version.bump()  # COPY and bulk_create send no signals
    return counts
