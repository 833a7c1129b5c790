from django.urls import path  # noqa: F401

app_name = "complaint_analytics"
urlpatterns: list = []
