from django.urls import path

from manyi.privacy import views

app_name = "privacy"
urlpatterns = [
    path("customers/<int:pk>/", views.customer_data, name="customer"),
    path("customers/<int:pk>/export.json", views.customer_export, {"fmt": "json"}, name="json"),
    path("customers/<int:pk>/export.xlsx", views.customer_export, {"fmt": "xlsx"}, name="xlsx"),
]
