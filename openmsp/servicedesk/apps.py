from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "openmsp.servicedesk"
    label = "servicedesk"
