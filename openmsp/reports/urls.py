"""Report pages, mounted at /reports/ (views in openmsp.reports.views)."""

from django.urls import path

from openmsp.reports import views

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("generate/", views.report_generate, name="report_generate"),
    path("<int:report_id>/", views.report_detail, name="report_detail"),
    path("<int:report_id>/pdf/", views.report_pdf, name="report_pdf"),
]
