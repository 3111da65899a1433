from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "openmsp.tenants"
    label = "tenants"
