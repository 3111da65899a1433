"""The checks UI, mounted at /checks/ (views in openmsp.monitoring.views)."""

from django.urls import path

from openmsp.monitoring import views

urlpatterns = [
    path("", views.check_list, name="check_list"),
    path("new/", views.check_create, name="check_create"),
    path("test/", views.check_test, name="check_test"),
    path("<int:check_id>/", views.check_detail, name="check_detail"),
    path("<int:check_id>/edit/", views.check_edit, name="check_edit"),
    path("<int:check_id>/delete/", views.check_delete, name="check_delete"),
    path("<int:check_id>/latency/", views.check_latency_data, name="check_latency_data"),
]
