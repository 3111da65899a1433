from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "openmsp.oncall"
    label = "oncall"

    def ready(self) -> None:
        from openmsp.oncall import cards  # noqa: F401  (registers the dashboard card)
        from openmsp.oncall.paging import page_for_sla_step
        from openmsp.servicedesk import hooks

        hooks.register_oncall_pager(page_for_sla_step)  # the SLA ladder's "page on-call" rung
