from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "openmsp.oncall"
    label = "oncall"

    def ready(self) -> None:
        from openmsp.oncall import cards  # noqa: F401  (registers the dashboard card)
