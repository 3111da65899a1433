"""The fleet UI, mounted at /assets/: the asset list, host pages and their tabs, manual assets,
enrollment tokens and the command runner (views in openmsp.assets.views and
openmsp.agent_api.views_ui)."""

from django.urls import path

from openmsp.agent_api import views_ui
from openmsp.alerts import views as alert_views
from openmsp.assets import views
from openmsp.monitoring import views as monitoring_views

urlpatterns = [
    path("", views.asset_list, name="asset_list"),
    path("new/", views.asset_create, name="asset_create"),
    path("enroll/", views_ui.enrollment, name="enrollment"),
    path(
        "enroll/<int:token_id>/revoke/",
        views_ui.enrollment_token_revoke,
        name="enrollment_token_revoke",
    ),
    path("<int:asset_id>/", views.asset_detail, name="asset_detail"),
    path("<int:asset_id>/edit/", views.asset_edit, name="asset_edit"),
    path("<int:asset_id>/retire/", views.asset_retire, name="asset_retire"),
    path("<int:asset_id>/metrics/", views.asset_metrics, name="asset_metrics"),
    path("<int:asset_id>/metrics/data/", views.asset_metrics_data, name="asset_metrics_data"),
    path("<int:asset_id>/inventory/", views.asset_inventory, name="asset_inventory"),
    path("<int:asset_id>/changes/", views.asset_changes, name="asset_changes"),
    path("<int:asset_id>/status/", views.asset_status_history, name="asset_status_history"),
    path("<int:asset_id>/commands/", views_ui.asset_commands, name="asset_commands"),
    path("<int:asset_id>/checks/", monitoring_views.asset_checks, name="asset_checks"),
    path(
        "<int:asset_id>/dependencies/",
        alert_views.asset_dependencies,
        name="asset_dependencies",
    ),
    path(
        "<int:asset_id>/commands/<uuid:run_id>/",
        views_ui.command_run_output,
        name="command_run_output",
    ),
    path("<int:asset_id>/agent/revoke/", views_ui.agent_revoke, name="agent_revoke"),
]
