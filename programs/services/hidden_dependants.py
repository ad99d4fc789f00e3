"""Deleting a record that records hidden from the user depend on (issue #7).

Deleting a programme, say, cascades to everything in it; for a user restricted to a nation
some of those rows may be hidden. Letting the deletion through would destroy data they cannot
see, and listing what would go (the admin's confirmation page) would name it. Both the API and
the admin refuse instead, without saying what depends on the record.
"""

from collections.abc import Sequence

from django.db import router
from django.db.models import Model
from django.db.models.deletion import Collector

from programs.access import RELEASE_PATHS, is_restricted, released

REFUSAL = (
    "Records that are not releasable to your nation depend on this one; ask a user cleared "
    "for them to delete it."
)


def deletion_reaches_hidden(objs: Sequence[Model], user) -> bool:
    """Whether deleting ``objs`` would also delete rows hidden from the user.

    Protected relations raise ``ProtectedError`` from the collector, as the deletion would.
    """
    if not objs or not is_restricted(user):
        return False
    collector = Collector(using=router.db_for_write(type(objs[0])))
    collector.collect(list(objs))
    for model, instances in collector.data.items():
        if model not in RELEASE_PATHS:
            continue
        pks = {obj.pk for obj in instances}
        if released(model.objects.filter(pk__in=pks), user).count() < len(pks):
            return True
    for queryset in collector.fast_deletes:
        if queryset.model not in RELEASE_PATHS:
            continue
        visible = released(queryset.model.objects.all(), user).values("pk")
        if queryset.exclude(pk__in=visible).exists():
            return True
    return False
