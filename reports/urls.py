from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("projects/<slug:project_slug>/papers/", views.paper_list, name="paper_list"),
    path("projects/<slug:project_slug>/papers/new/", views.paper_create, name="paper_create"),
    path("papers/<int:pk>/", views.paper_detail, name="paper"),
    path("papers/<int:pk>/edit/", views.paper_edit, name="paper_edit"),
    path("papers/<int:pk>/narratives/", views.paper_narratives, name="paper_narratives"),
    path("papers/<int:pk>/preview/", views.paper_preview, name="paper_preview"),
    path("papers/<int:pk>/quotations/", views.paper_quotations, name="paper_quotations"),
    path("papers/<int:pk>/quotations/choose/", views.paper_quotation_choice, name="paper_quotation_choice"),
    path("papers/<int:pk>/builds/", views.paper_builds, name="paper_builds"),
    path("builds/<int:pk>/retry/", views.build_retry, name="build_retry"),
    path("builds/<int:pk>/download/", views.build_download, name="build_download"),
]
