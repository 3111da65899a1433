from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "openmsp.knowledge"
    label = "knowledge"
