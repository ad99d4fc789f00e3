from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programmes"

    def ready(self) -> None:
        from programs import change_reasons, data_version, schedules, signals
        from programs.api import tokens

        signals.connect()
        change_reasons.connect()
        data_version.connect()
        tokens.connect()
        post_migrate.connect(
            schedules.install_after_migrate, sender=self, dispatch_uid="install-schedules"
        )
