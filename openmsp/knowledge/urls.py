"""Knowledge-base pages, mounted at /kb/."""

from django.urls import path

from openmsp.knowledge import views

urlpatterns = [
    path("", views.kb_list, name="kb_list"),
    path("new/", views.kb_create, name="kb_create"),
    path("suggest/", views.kb_suggest, name="kb_suggest"),
    path("categories/", views.kb_category_create, name="kb_category_create"),
    path("<int:article_id>/", views.kb_detail, name="kb_detail"),
    path("<int:article_id>/edit/", views.kb_edit, name="kb_edit"),
]
