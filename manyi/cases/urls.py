from django.urls import path

from manyi.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_queue, name="queue"),
    path("mine/", views.case_mine, name="mine"),
    path("bulk-reassign/", views.bulk_reassign, name="bulk-reassign"),
    path("for-customer/<int:customer_pk>/", views.for_customer, name="for-customer"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/assign/", views.case_assign, name="assign"),
    path("<int:pk>/calls/", views.case_call, name="call"),
    path("<int:pk>/notes/", views.case_note, name="note"),
    path("<int:pk>/photos/", views.case_photo, name="photo"),
    path("<int:pk>/pause/", views.case_pause, name="pause"),
    path("<int:pk>/resume/", views.case_resume, name="resume"),
    path("<int:pk>/moves/<slug:move>/", views.case_move, name="move"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
]
