"""The heartbeat pages, mounted at /heartbeats/ (views in openmsp.heartbeats.views)."""

from django.urls import path

urlpatterns: list = []
