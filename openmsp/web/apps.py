from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "openmsp.web"
    label = "web"
