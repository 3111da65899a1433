from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "openmsp.oncall"
    label = "oncall"
