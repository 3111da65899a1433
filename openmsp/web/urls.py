from django.urls import path

from openmsp.web import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("language/", views.switch_language, name="switch_language"),
]
