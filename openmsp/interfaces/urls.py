"""The interface pages, mounted at /interfaces/ (views in openmsp.interfaces.views)."""

from django.urls import path

from openmsp.interfaces import views

urlpatterns = [
    path("", views.interface_list, name="interface_list"),
    path("new/", views.interface_create, name="interface_create"),
    path("<int:interface_id>/", views.interface_detail, name="interface_detail"),
    path("<int:interface_id>/edit/", views.interface_edit, name="interface_edit"),
    path("<int:interface_id>/pause/", views.interface_pause, name="interface_pause"),
    path("<int:interface_id>/resume/", views.interface_resume, name="interface_resume"),
    path("<int:interface_id>/token/", views.interface_new_token, name="interface_new_token"),
    path("<int:interface_id>/delete/", views.interface_delete, name="interface_delete"),
]
