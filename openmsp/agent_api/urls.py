"""The agent API, mounted at /agent/v1/ (docs/agent-protocol.md)."""

from django.urls import path

from openmsp.agent_api import views

app_name = "agent_api"

urlpatterns = [
    path("enroll", views.enroll, name="enroll"),
    path("batches", views.batches, name="batches"),
    path("commands", views.commands, name="commands"),
    path("commands/<uuid:run_id>/result", views.command_result, name="command_result"),
    path("<path:rest>", views.not_found, name="not_found"),
]
