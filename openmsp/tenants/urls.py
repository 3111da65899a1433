from django.urls import path

from openmsp.tenants import views

urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("new/", views.client_create, name="client_create"),
    path("switch/", views.client_switch, name="client_switch"),
    # Calendars (MSP-wide ones have no client, so they are addressed by their own id).
    path("calendars/", views.calendar_list, name="calendar_list"),
    path("calendars/new/", views.calendar_create, name="shared_calendar_create"),
    path("calendars/<int:calendar_id>/", views.calendar_detail, name="calendar_detail"),
    path("calendars/<int:calendar_id>/edit/", views.calendar_edit, name="calendar_edit"),
    path("calendars/<int:calendar_id>/delete/", views.calendar_delete, name="calendar_delete"),
    path("calendars/<int:calendar_id>/compute/", views.calendar_compute, name="calendar_compute"),
    path(
        "calendars/<int:calendar_id>/special-days/new/",
        views.special_day_create,
        name="special_day_create",
    ),
    path(
        "calendars/<int:calendar_id>/special-days/<int:special_day_id>/delete/",
        views.special_day_delete,
        name="special_day_delete",
    ),
    # One client and its tabs.
    path("<int:client_id>/", views.client_detail, name="client_detail"),
    path("<int:client_id>/edit/", views.client_edit, name="client_edit"),
    path("<int:client_id>/delete/", views.client_delete, name="client_delete"),
    path("<int:client_id>/sites/", views.client_detail, {"tab": "sites"}, name="client_sites"),
    path("<int:client_id>/sites/new/", views.site_form, name="site_create"),
    path("<int:client_id>/sites/<int:site_id>/edit/", views.site_form, name="site_edit"),
    path("<int:client_id>/sites/<int:site_id>/delete/", views.site_delete, name="site_delete"),
    path(
        "<int:client_id>/contacts/",
        views.client_detail,
        {"tab": "contacts"},
        name="client_contacts",
    ),
    path("<int:client_id>/contacts/new/", views.contact_form, name="contact_create"),
    path(
        "<int:client_id>/contacts/<int:contact_id>/edit/", views.contact_form, name="contact_edit"
    ),
    path(
        "<int:client_id>/contacts/<int:contact_id>/delete/",
        views.contact_delete,
        name="contact_delete",
    ),
    path(
        "<int:client_id>/contracts/",
        views.client_detail,
        {"tab": "contracts"},
        name="client_contracts",
    ),
    path("<int:client_id>/contracts/new/", views.contract_form, name="contract_create"),
    path(
        "<int:client_id>/contracts/<int:contract_id>/",
        views.contract_detail,
        name="contract_detail",
    ),
    path(
        "<int:client_id>/contracts/<int:contract_id>/edit/",
        views.contract_form,
        name="contract_edit",
    ),
    path(
        "<int:client_id>/contracts/<int:contract_id>/delete/",
        views.contract_delete,
        name="contract_delete",
    ),
    path(
        "<int:client_id>/calendars/",
        views.client_detail,
        {"tab": "calendars"},
        name="client_calendars",
    ),
    path("<int:client_id>/calendars/new/", views.calendar_create, name="calendar_create"),
]
