from django.urls import path

from manyi.workorders import views_print

app_name = "workorders_print"
urlpatterns = [
    path(
        "work-orders/<int:case_id>/tracking-card.pdf",
        views_print.tracking_card,
        name="tracking-card",
    ),
    path("work-orders/<int:case_id>/record.pdf", views_print.service_record, name="record"),
]
