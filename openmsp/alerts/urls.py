"""Problems UI, mounted at /problems/: the board, one problem, maintenance, Alertmanager tokens."""

from django.urls import path

from openmsp.alerts import views

urlpatterns = [
    path("", views.problem_board, name="problem_board"),
    path("<int:problem_id>/", views.problem_detail, name="problem_detail"),
    path("<int:problem_id>/acknowledge/", views.problem_acknowledge, name="problem_acknowledge"),
    path(
        "<int:problem_id>/unacknowledge/",
        views.problem_unacknowledge,
        name="problem_unacknowledge",
    ),
    path("<int:problem_id>/comment/", views.problem_comment, name="problem_comment"),
    path("<int:problem_id>/resolve/", views.problem_resolve, name="problem_resolve"),
    path("maintenance/", views.maintenance_list, name="maintenance_list"),
    path(
        "maintenance/<int:maintenance_window_id>/delete/",
        views.maintenance_delete,
        name="maintenance_delete",
    ),
    path("dependencies/", views.dependency_tree, name="dependency_tree"),
    path(
        "dependencies/<int:asset_parent_id>/remove/",
        views.dependency_remove,
        name="dependency_remove",
    ),
    path("alertmanager/", views.alertmanager_tokens, name="alertmanager_tokens"),
    path(
        "alertmanager/<int:alertmanager_token_id>/revoke/",
        views.alertmanager_token_revoke,
        name="alertmanager_token_revoke",
    ),
]
