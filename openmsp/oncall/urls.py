"""The on-call pages, mounted at /oncall/ (views in openmsp.oncall.views)."""

from django.urls import path

from openmsp.oncall import views

urlpatterns = [
    path("", views.schedule_list, name="oncall_schedule_list"),
    path("new/", views.schedule_create, name="oncall_schedule_create"),
    path("<int:schedule_id>/", views.schedule_detail, name="oncall_schedule_detail"),
    path("<int:schedule_id>/layers/new/", views.layer_create, name="oncall_layer_create"),
    path("<int:schedule_id>/delete/", views.schedule_delete, name="oncall_schedule_delete"),
    path("<int:schedule_id>/overrides/new/", views.override_create, name="oncall_override_create"),
    path(
        "<int:schedule_id>/overrides/<int:override_id>/delete/",
        views.override_delete,
        name="oncall_override_delete",
    ),
]
