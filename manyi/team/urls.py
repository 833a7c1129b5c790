from django.urls import path

from manyi.team.views import csas, home

app_name = "team"
urlpatterns = [
    path("", home.home, name="home"),
    path("csas/", csas.round_list, name="csas-list"),
    path("csas/new/", csas.round_open, name="csas-open"),
    path("csas/<int:pk>/", csas.round_detail, name="csas-detail"),
    path("csas/<int:pk>/answer/", csas.round_answer, name="csas-answer"),
    path("csas/<int:pk>/close/", csas.round_close, name="csas-close"),
]
