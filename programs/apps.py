from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programmes"

    def ready(self) -> None:
        # The Celery tasks, registered in every process: services send them by name.
        from programs import change_reasons, data_version, schedules, signals, tasks  # noqa: F401
        from programs.dashboards import finders  # noqa: F401 (registers its system check)
        from programs.whatif import changes as whatif_changes

        signals.connect()
        change_reasons.connect()
        data_version.connect()
        whatif_changes.connect()
        post_migrate.connect(
            schedules.install_after_migrate, sender=self, dispatch_uid="install-schedules"
        )
