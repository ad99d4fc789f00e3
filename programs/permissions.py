"""The analysts' groups and what each may do (least privilege).

``analyst`` records and corrects tracked data; ``viewer`` only reads. Run by a data migration,
and again by any later migration that adds models, so the groups always cover every model.
"""

from django.contrib.auth.management import create_permissions

ANALYST = "analyst"
VIEWER = "viewer"

#: Models analysts may add, change and delete (tracked data).
TRACKED_MODELS = [
    "nation",
    "organisation",
    "ownershipstake",
    "programme",
    "participation",
    "contribution",
    "workpackage",
    "workshareallocation",
    "decisionbody",
    "seat",
    "leadershiprole",
    "decision",
    "vote",
    "techtransfermilestone",
    "agreement",
    "thresholdoverride",
]

#: Models everybody signed in may view but nobody edits by hand.
READ_ONLY_MODELS = ["scenarioload", "flag", "flagevent", "balancesnapshot"]

#: Models every signed-in user keeps rows of their own in (saved what-if drafts): both groups
#: add, change and delete them; the services let only the author change or delete one.
PERSONAL_MODELS = ["whatifdraft"]

#: Extra permissions by group, as (app_label, codename).
EXTRA_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    # run_scan is withheld from nation-restricted analysts (programs.access.UNRESTRICTED_ONLY).
    ANALYST: [("programs", "acknowledge_flag"), ("programs", "run_scan")],
    VIEWER: [],
}


def sync_groups(apps, schema_editor=None) -> None:
    """Create or update the ``analyst`` and ``viewer`` groups with their permissions."""
    app_config = apps.get_app_config("programs")
    # Permissions are normally made after migrate finishes; make them now so that the groups
    # can hold them. A migration's app config has no models module, which the helper expects.
    had_module = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(actions: list[str], models: list[str]) -> list:
        codenames = [f"{action}_{model}" for action in actions for model in models]
        return list(
            Permission.objects.filter(content_type__app_label="programs", codename__in=codenames)
        )

    def extra(group: str) -> list:
        wanted = EXTRA_PERMISSIONS[group]
        result = []
        for app_label, codename in wanted:
            result.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        return result

    existing_models = {model._meta.model_name for model in app_config.get_models()}
    tracked = [m for m in TRACKED_MODELS if m in existing_models]
    read_only = [m for m in READ_ONLY_MODELS if m in existing_models]
    personal = [m for m in PERSONAL_MODELS if m in existing_models]
    everyone = perms(["add", "change", "delete", "view"], personal)

    analyst, _ = Group.objects.get_or_create(name=ANALYST)
    analyst.permissions.set(
        perms(["add", "change", "delete", "view"], tracked)
        + perms(["view"], read_only)
        + everyone
        + extra(ANALYST)
    )
    viewer, _ = Group.objects.get_or_create(name=VIEWER)
    viewer.permissions.set(perms(["view"], tracked + read_only) + everyone + extra(VIEWER))
