"""The survey links a requester clicks in the CSAT mail, mounted at /csat/ (no login)."""

from django.urls import path

from openmsp.servicedesk import csat_views

urlpatterns = [
    path("<str:token>/comment/", csat_views.csat_comment, name="csat_comment"),
    path("<str:token>/good", csat_views.csat_answer, {"rating": "good"}, name="csat_good"),
    path("<str:token>/bad", csat_views.csat_answer, {"rating": "bad"}, name="csat_bad"),
]
