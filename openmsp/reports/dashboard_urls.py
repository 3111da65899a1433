"""Dashboard pages, mounted at /dashboards/ (views in openmsp.reports.dashboard_views)."""

from django.urls import path

from openmsp.reports import dashboard_views as views

urlpatterns = [
    path("", views.msp_dashboard, name="msp_dashboard"),
    path("<int:client_id>/", views.client_dashboard, name="client_dashboard"),
]
