"""factory_boy factories for the domain model; each builds a valid record by default."""

import datetime
from decimal import Decimal

import factory
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from programs import models
from programs.permissions import sync_groups


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            if Group.objects.filter(name__in=extracted).count() < len(extracted):
                # A transactional test flushes the tables, groups from data migrations included.
                sync_groups(django_apps)
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))


class NationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Nation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: "N" + chr(65 + (n // 26) % 26) + chr(65 + n % 26))
    name = factory.LazyAttribute(lambda o: f"Nation {o.code}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = models.Organisation.Kind.PRIME
    nation = factory.SubFactory(NationFactory)


class JointVentureFactory(OrganisationFactory):
    kind = models.Organisation.Kind.JOINT_VENTURE
    nation = None


class OwnershipStakeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OwnershipStake

    venture = factory.SubFactory(JointVentureFactory)
    owner = factory.SubFactory(OrganisationFactory)
    percent = Decimal("50")


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Programme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PROG{n}")
    name = factory.LazyAttribute(lambda o: f"Programme {o.code}")
    status = models.Programme.Status.DEVELOPMENT
    currency = "EUR"
    started_on = datetime.date(2020, 1, 1)


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Participation

    programme = factory.SubFactory(ProgrammeFactory)
    nation = factory.SubFactory(NationFactory)
    role = models.Participation.Role.PARTNER
    joined_on = datetime.date(2020, 1, 1)


class ContributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Contribution

    programme = factory.SubFactory(ProgrammeFactory)
    nation = factory.SubFactory(NationFactory)
    period_start = factory.Sequence(lambda n: datetime.date(2000, 1, 1) + datetime.timedelta(n))
    amount = Decimal("100")


class WorkPackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.WorkPackage

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"WP{n}")
    name = factory.LazyAttribute(lambda o: f"Work package {o.code}")
    domain = models.Domain.AIRFRAME


class WorkshareAllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.WorkshareAllocation

    work_package = factory.SubFactory(WorkPackageFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    amount = Decimal("100")
    period_start = factory.Sequence(lambda n: datetime.date(2000, 1, 1) + datetime.timedelta(n))


class DecisionBodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DecisionBody

    programme = factory.SubFactory(ProgrammeFactory)
    name = factory.Sequence(lambda n: f"Board {n}")
    level = models.DecisionBody.Level.GOVERNMENTAL
    voting_rule = models.DecisionBody.VotingRule.MAJORITY


class SeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Seat

    body = factory.SubFactory(DecisionBodyFactory)
    nation = factory.SubFactory(NationFactory)


class LeadershipRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.LeadershipRole

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Lead role {n}")
    domain = "management"
    weight = 3
    nation = factory.SubFactory(NationFactory)


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Decision

    body = factory.SubFactory(DecisionBodyFactory)
    title = factory.Sequence(lambda n: f"Decision {n}")
    decided_on = datetime.date(2024, 1, 1)
    outcome = models.Decision.Outcome.APPROVED


class VoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Vote

    decision = factory.SubFactory(DecisionFactory)
    nation = factory.SubFactory(NationFactory)
    position = models.Vote.Position.FOR


class TechTransferMilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.TechTransferMilestone

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Transfer {n}")
    technology_area = "sensors"
    provider = factory.SubFactory(OrganisationFactory)
    recipient = factory.SubFactory(OrganisationFactory)
    planned_on = datetime.date(2024, 6, 30)
    status = models.TechTransferMilestone.Status.PLANNED
    access_level = models.TechTransferMilestone.AccessLevel.LICENSED
    weight = 2


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Agreement
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Agreement {n}")
    kind = models.Agreement.Kind.MOU
    signed_on = datetime.date(2019, 9, 10)

    @factory.post_generation
    def nations(self, create, extracted, **kwargs):
        if create and extracted:
            self.nations.set(extracted)


class ThresholdOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ThresholdOverride

    programme = factory.SubFactory(ProgrammeFactory)
    rule = "workshare_return"
    parameter = "warning"
    value = Decimal("0.9")


class ScenarioLoadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ScenarioLoad

    file_name = factory.Sequence(lambda n: f"seeds/scenario{n}.yaml")
    format = "gcaptrack-scenario/1"
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    loaded_by = factory.SubFactory(UserFactory)


class ScanErrorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ScanError

    programme = factory.SubFactory(ProgrammeFactory)
    programme_code = factory.LazyAttribute(lambda error: error.programme.code)
    as_of = datetime.date(2026, 6, 30)
    reason = "OverflowError: date value out of range"


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Flag

    rule = "workshare_return"
    programme = factory.SubFactory(ProgrammeFactory)
    nation = factory.SubFactory(NationFactory)
    severity = models.Flag.Severity.WARNING
    metric = "return_coefficient"
    value = Decimal("0.8")
    threshold = Decimal("0.95")
    explanation = factory.LazyAttribute(lambda f: f"{f.nation} gets back less than it puts in.")
    fingerprint = factory.Sequence(lambda n: f"workshare_return:test:{n}")
    first_seen_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))
    last_seen_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))


class BalanceSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.BalanceSnapshot

    programme = factory.SubFactory(ProgrammeFactory)
    nation = factory.SubFactory(NationFactory)
    taken_on = datetime.date(2025, 1, 1)
    taken_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))
    contributed = Decimal("100")
    contribution_share = Decimal("0.5")
    contribution_basis = models.BalanceSnapshot.Basis.RECORDED
    work = Decimal("80")
    workshare_share = Decimal("0.4")
    return_coefficient = Decimal("0.8")
    leadership_weight = 3
    leadership_share = Decimal("0.3")
    roles_held = 1
    votes = 1
    vote_share = Decimal("0.5")
    vetoes = 0
    chairs = 0
    counted_votes = 0
    outvoted_votes = 0
    tt_delivered_weight = 0
    tt_received_weight = 0
    overdue_to_receive = 0
    blocked_to_receive = 0


class ApiTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ApiToken

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Token {n}")
    prefix = factory.Sequence(lambda n: f"tok{n:08d}")
    key_hash = factory.Sequence(lambda n: f"{n:064x}")


class ClearanceFactory(factory.django.DjangoModelFactory):
    """Restricts a user to a nation (``nation=None`` for an explicitly unrestricted user)."""

    class Meta:
        model = models.Clearance
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    nation = factory.SubFactory(NationFactory)


class WhatIfDraftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.WhatIfDraft

    name = factory.Sequence(lambda n: f"Draft {n}")
    author = factory.SubFactory(UserFactory)
    document = "format: gcaptrack-scenario/1\n"
