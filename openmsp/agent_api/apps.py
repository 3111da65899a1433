import datetime as dt

from django.apps import AppConfig


class AgentApiConfig(AppConfig):
    name = "openmsp.agent_api"
    label = "agent_api"

    def ready(self) -> None:
        from openmsp.core.scheduler import Periodic, register

        register(
            Periodic(
                "agent_api.expire_runs",
                "openmsp.agent_api.jobs:expire_runs",
                every=dt.timedelta(minutes=1),
            )
        )
        register(
            Periodic(
                "agent_api.forget_batches",
                "openmsp.agent_api.jobs:forget_old_batches",
                cron="23 * * * *",
            )
        )
