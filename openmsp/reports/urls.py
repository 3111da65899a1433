"""Report pages, mounted at /reports/ (views in openmsp.reports.views)."""

from django.urls import path

from openmsp.reports import views

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("generate/", views.report_generate, name="report_generate"),
    path("<int:report_id>/", views.report_detail, name="report_detail"),
    path("<int:report_id>/pdf/", views.report_pdf, name="report_pdf"),
    path("qbr/", views.qbr_list, name="qbr_list"),
    path("qbr/generate/", views.qbr_generate, name="qbr_generate"),
    path("qbr/<int:qbr_id>/", views.qbr_detail, name="qbr_detail"),
    path("qbr/<int:qbr_id>/pdf/", views.qbr_pdf, name="qbr_pdf"),
    path("qbr/<int:qbr_id>/agenda/", views.qbr_agenda, name="qbr_agenda"),
    path("qbr/<int:qbr_id>/root-cause/", views.qbr_root_cause, name="qbr_root_cause"),
    path("qbr/<int:qbr_id>/meetings/", views.qbr_meeting, name="qbr_meeting"),
    path("qbr/runs/<int:qbr_run_id>/pdf/", views.qbr_run_pdf, name="qbr_run_pdf"),
    path("qbr/runs/<int:qbr_run_id>/resend/", views.qbr_run_resend, name="qbr_run_resend"),
    path(
        "qbr/meetings/<int:meeting_id>/action-items/",
        views.meeting_action_item,
        name="meeting_action_item",
    ),
    path(
        "qbr/action-items/<int:action_item_id>/done/",
        views.action_item_done,
        name="action_item_done",
    ),
]
