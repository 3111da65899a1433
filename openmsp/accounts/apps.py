from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openmsp.accounts"
    label = "accounts"
