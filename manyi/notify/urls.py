from django.urls import path

from manyi.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("read-all/", views.notification_read_all, name="read-all"),
    path("preferences/", views.preferences, name="preferences"),
    path("messages/", views.delivery_log, name="messages"),
    path("messages/<int:pk>/retry/", views.message_retry, name="retry"),
    path("quiet-hours/", views.quiet_hours, name="quiet-hours"),
    path("robots/<int:unit_id>/", views.robot, name="robot"),
]
