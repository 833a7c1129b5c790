from django.urls import path

from manyi.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/purchases/", views.purchase_add, name="purchase-add"),
    path(
        "<int:pk>/purchases/<int:purchase_pk>/delete/",
        views.purchase_delete,
        name="purchase-delete",
    ),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/errors.csv", views.import_errors, name="import-errors"),
    path("imports/template.xlsx", views.import_template, name="import-template"),
    path("export/", views.customer_export, name="export"),
]
