"""The cockpit's pages (included by ``manyi.insights.urls``; names live in ``insights:``)."""

from django.urls import path

from manyi.insights import views_cockpit

urlpatterns: list = [
    path("", views_cockpit.cockpit_page, name="cockpit"),
    path("units/<int:unit_id>/", views_cockpit.cockpit_page, name="cockpit_unit"),
    path("people/<int:person_id>/", views_cockpit.cockpit_page, name="cockpit_person"),
    path("cockpit/export/", views_cockpit.cockpit_export, name="cockpit_export"),
]
