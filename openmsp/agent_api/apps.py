from django.apps import AppConfig


class AgentApiConfig(AppConfig):
    name = "openmsp.agent_api"
    label = "agent_api"
