from django.urls import path

from manyi.calendars import views

app_name = "calendars"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>/", views.year_page, name="year"),
    path("<int:year>/import/", views.year_import, name="import"),
    path("<int:year>/schedule.xlsx", views.year_schedule, name="schedule"),
    path("<int:year>/reseed/", views.year_reseed, name="reseed"),
    path("<int:year>/known/", views.year_known, name="known"),
    path("days/", views.day_lookup, name="day-lookup"),
    path("days/<str:day>/", views.day_page, name="day"),
    path("days/<str:day>/delete/", views.day_delete, name="day-delete"),
    path("hours/", views.hours_list, name="hours"),
    path("hours/<int:pk>/", views.hours_edit, name="hours-edit"),
    path("hours/<int:pk>/reset/", views.hours_reset, name="hours-reset"),
    path("deadline/", views.deadline_check, name="deadline"),
]
