"""The service desk pages, mounted at /tickets/ (views in openmsp.servicedesk.views)."""

from django.urls import path

from openmsp.servicedesk import csat_views, time_views, views

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_create, name="ticket_create"),
    path("bulk/", views.ticket_bulk, name="ticket_bulk"),
    path("views/save/", views.saved_view_save, name="ticket_view_save"),
    path("views/delete/", views.saved_view_delete, name="ticket_view_delete"),
    path("time/", time_views.time_totals, name="time_totals"),
    path("satisfaction/", csat_views.csat_results, name="csat_results"),
    path("satisfaction/settings/<int:client_id>/", csat_views.csat_settings, name="csat_settings"),
    path("<int:ticket_id>/time/", time_views.time_log, name="ticket_time_log"),
    path("<int:ticket_id>/timer/", time_views.timer, name="ticket_timer"),
    path("<int:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("<int:ticket_id>/reply/", views.ticket_reply, name="ticket_reply"),
    path("<int:ticket_id>/update/", views.ticket_update, name="ticket_update"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="ticket_attachment"),
]
