from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "openmsp.assets"
    label = "assets"
