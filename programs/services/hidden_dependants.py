"""Deleting a record that records hidden from the user depend on (issues #7 and #18).

Deleting a programme, say, cascades to everything in it; for a user restricted to a nation
some of those rows may be hidden. Letting the deletion through would destroy data they cannot
see, and listing what would go or what prevents it (the admin's confirmation page) would name
it. Both the API and the admin refuse instead, without saying what depends on the record.

A restricted user gets that one refusal for every deletion that something prevents, hidden or
visible (a protected reference, say): a message of its own for hidden dependants, or one naming
the kinds of records in the way, would tell hidden from visible ones.
"""

from collections.abc import Sequence

from django.contrib.admin.utils import NestedObjects
from django.db import router
from django.db.models import Model

from programs.access import RELEASE_PATHS, is_restricted, released

REFUSAL = (
    "Other records depend on this one, so it cannot be deleted: delete or re-point those you "
    "can see first, or ask an analyst cleared for every nation."
)


def _any_hidden(objs, user) -> bool:
    by_model: dict[type[Model], set] = {}
    for obj in objs:
        by_model.setdefault(type(obj), set()).add(obj.pk)
    for model, pks in by_model.items():
        if model in RELEASE_PATHS and released(
            model._default_manager.filter(pk__in=pks), user
        ).count() < len(pks):
            return True
    return False


def deletion_reaches_hidden(objs: Sequence[Model], user) -> bool:
    """Whether deleting ``objs`` would delete, or is prevented by, rows hidden from the user."""
    if not objs or not is_restricted(user):
        return False
    collector = NestedObjects(using=router.db_for_write(type(objs[0])))
    collector.collect(list(objs))
    if any(_any_hidden(instances, user) for instances in collector.data.values()):
        return True
    if _any_hidden(collector.protected, user):
        return True
    for queryset in collector.fast_deletes:
        if queryset.model not in RELEASE_PATHS:
            continue
        visible = released(queryset.model._default_manager.all(), user).values("pk")
        if queryset.exclude(pk__in=visible).exists():
            return True
    return False
