"""factory_boy factories for the domain model; each builds a valid record by default."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from programs import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
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

    name = factory.Sequence(lambda n: f"Agreement {n}")
    kind = models.Agreement.Kind.MOU
    signed_on = datetime.date(2019, 9, 10)

    @factory.post_generation
    def nations(self, create, extracted, **kwargs):
        if create and extracted:
            self.nations.set(extracted)
