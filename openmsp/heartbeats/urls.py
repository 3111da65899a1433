"""The heartbeat pages, mounted at /heartbeats/ (views in openmsp.heartbeats.views)."""

from django.urls import path

from openmsp.heartbeats import views

urlpatterns = [
    path("", views.heartbeat_list, name="heartbeat_list"),
    path("new/", views.heartbeat_create, name="heartbeat_create"),
    path("<int:heartbeat_id>/", views.heartbeat_detail, name="heartbeat_detail"),
    path("<int:heartbeat_id>/edit/", views.heartbeat_edit, name="heartbeat_edit"),
    path("<int:heartbeat_id>/pause/", views.heartbeat_pause, name="heartbeat_pause"),
    path("<int:heartbeat_id>/resume/", views.heartbeat_resume, name="heartbeat_resume"),
    path("<int:heartbeat_id>/key/", views.heartbeat_new_key, name="heartbeat_new_key"),
    path("<int:heartbeat_id>/delete/", views.heartbeat_delete, name="heartbeat_delete"),
]
