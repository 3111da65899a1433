"""Notification pages, mounted at /notifications/."""

from django.urls import path

from openmsp.notifications import views

urlpatterns = [
    path("", views.channel_list, name="notification_channels"),
    path("channels/new/", views.channel_create, name="notification_channel_create"),
    path(
        "channels/<int:notification_channel_id>/",
        views.channel_edit,
        name="notification_channel_edit",
    ),
    path(
        "channels/<int:notification_channel_id>/delete/",
        views.channel_delete,
        name="notification_channel_delete",
    ),
    path(
        "channels/<int:notification_channel_id>/test/",
        views.channel_test,
        name="notification_channel_test",
    ),
    path("routes/", views.route_list, name="notification_routes"),
    path("routes/new/", views.route_create, name="notification_route_create"),
    path("routes/<int:notification_route_id>/", views.route_edit, name="notification_route_edit"),
    path(
        "routes/<int:notification_route_id>/delete/",
        views.route_delete,
        name="notification_route_delete",
    ),
    path("deliveries/", views.delivery_list, name="notification_deliveries"),
    path(
        "deliveries/<int:notification_message_id>/",
        views.delivery_detail,
        name="notification_delivery",
    ),
]
