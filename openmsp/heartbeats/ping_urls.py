"""The public ping endpoints, mounted at /ping/ (see openmsp.heartbeats.ping_views)."""

from django.urls import path

from openmsp.heartbeats import ping_views

urlpatterns = [
    path("<uuid:ping_key>", ping_views.success, name="ping_success"),
    path("<uuid:ping_key>/start", ping_views.start, name="ping_start"),
    path("<uuid:ping_key>/fail", ping_views.fail, name="ping_fail"),
    path("<uuid:ping_key>/log", ping_views.log_message, name="ping_log"),
    path("<uuid:ping_key>/<int:status>", ping_views.exit_status, name="ping_exit_status"),
    path("", ping_views.unknown, name="ping_root"),
    path("<path:rest>", ping_views.unknown, name="ping_unknown"),
]
