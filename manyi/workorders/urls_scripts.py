from django.urls import path

from manyi.workorders import views_scripts as views

app_name = "scripts"
urlpatterns = [
    path("", views.script_list, name="list"),
    path("new/", views.script_create, name="create"),
    path("seed/", views.script_seed, name="seed"),
    path("<int:pk>/edit/", views.script_edit, name="edit"),
    path("<int:pk>/delete/", views.script_delete, name="delete"),
    path("<int:pk>/move/", views.script_move, name="move"),
]
