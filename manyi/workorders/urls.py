from django.urls import path

from manyi.workorders import views

app_name = "workorders"
urlpatterns = [
    path("new/", views.intake, name="intake"),
    path("<int:pk>/first-visit/", views.first_visit, name="first-visit"),
    path("<int:pk>/visits/", views.visit, name="visit"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/sign-off-code/", views.signoff_code, name="signoff-code"),
    path("<int:pk>/inspect/", views.inspect, name="inspect"),
    path("<int:pk>/return-visit/", views.return_visit, name="return-visit"),
]
