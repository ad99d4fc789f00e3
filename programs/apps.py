from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programmes"

    def ready(self) -> None:
        from programs import data_version, schedules, signals
        from programs.api import tokens
        from programs.dashboards import finders  # noqa: F401 (registers its system check)

        signals.connect()
        data_version.connect()
        tokens.connect()
        post_migrate.connect(
            schedules.install_after_migrate, sender=self, dispatch_uid="install-schedules"
        )
