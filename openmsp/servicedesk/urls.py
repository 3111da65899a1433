"""The service desk pages, mounted at /tickets/ (views in openmsp.servicedesk.views)."""

from django.urls import path

from openmsp.servicedesk import (
    csat_views,
    mail_views,
    policy_views,
    setup_views,
    time_views,
    views,
)

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
    path("<int:ticket_id>/watchers/", views.ticket_watchers, name="ticket_watchers"),
    path("mail/mailboxes/", mail_views.mailbox_list, name="mailbox_list"),
    path("mail/mailboxes/new/", mail_views.mailbox_create, name="mailbox_create"),
    path("mail/mailboxes/<int:mailbox_id>/", mail_views.mailbox_edit, name="mailbox_edit"),
    path(
        "mail/mailboxes/<int:mailbox_id>/delete/", mail_views.mailbox_delete, name="mailbox_delete"
    ),
    path("mail/templates/", mail_views.mail_templates, name="mail_templates"),
    path("sla-policies/", policy_views.policy_list, name="sla_policy_list"),
    path("sla-policies/new/", policy_views.policy_create, name="sla_policy_create"),
    path("sla-policies/<int:sla_policy_id>/", policy_views.policy_edit, name="sla_policy_edit"),
    path(
        "sla-policies/<int:sla_policy_id>/move/", policy_views.policy_move, name="sla_policy_move"
    ),
    path(
        "sla-policies/<int:sla_policy_id>/delete/",
        policy_views.policy_delete,
        name="sla_policy_delete",
    ),
    path("setup/statuses/", setup_views.status_list, name="desk_status_list"),
    path("setup/statuses/<int:status_id>/", setup_views.status_edit, name="desk_status_edit"),
    path("setup/teams/", setup_views.team_list, name="desk_team_list"),
    path("setup/teams/<int:team_id>/", setup_views.team_edit, name="desk_team_edit"),
    path("setup/categories/", setup_views.category_list, name="desk_category_list"),
    path(
        "setup/categories/<int:category_id>/",
        setup_views.category_edit,
        name="desk_category_edit",
    ),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="ticket_attachment"),
]
