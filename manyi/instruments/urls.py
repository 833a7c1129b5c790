from django.urls import path

from manyi.instruments import views

app_name = "instruments"
urlpatterns = [
    path("", views.instrument_list, name="list"),
    path("new/", views.instrument_create, name="create"),
    path("import/", views.instrument_import, name="import"),
    path("<int:pk>/", views.instrument_detail, name="detail"),
    path("<int:pk>/edit/", views.instrument_edit, name="edit"),
    path("<int:pk>/draft/", views.instrument_draft, name="draft"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("versions/<int:pk>/preview/", views.version_preview, name="preview"),
    path("versions/<int:pk>/export/", views.version_export, name="export"),
    path("versions/<int:pk>/publish/", views.version_publish, name="publish"),
    path("versions/<int:pk>/retire/", views.version_retire, name="retire"),
    path("versions/<int:pk>/discard/", views.version_discard, name="discard"),
    path("versions/<int:pk>/copy/", views.version_copy, name="copy"),
    path("versions/<int:pk>/scoring/", views.version_scoring, name="scoring"),
    path("versions/<int:pk>/factors/add/", views.factor_add, name="factor-add"),
    path("versions/<int:pk>/sections/add/", views.section_add, name="section-add"),
    path("versions/<int:pk>/items/add/", views.item_add, name="item-add"),
    path("factors/<int:pk>/edit/", views.factor_edit, name="factor-edit"),
    path("factors/<int:pk>/delete/", views.factor_delete, name="factor-delete"),
    path("sections/<int:pk>/edit/", views.section_edit, name="section-edit"),
    path("sections/<int:pk>/delete/", views.section_delete, name="section-delete"),
    path("sections/<int:pk>/move/", views.section_move, name="section-move"),
    path("items/<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("items/<int:pk>/delete/", views.item_delete, name="item-delete"),
    path("items/<int:pk>/move/", views.item_move, name="item-move"),
]
