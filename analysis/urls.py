from django.urls import path

from . import views

app_name = "analysis"

urlpatterns = [
    path("projects/<slug:project_slug>/analysis/", views.index, name="index"),
    path("projects/<slug:project_slug>/analysis/matrices/<slug:kind>/", views.matrix, name="matrix"),
    path("projects/<slug:project_slug>/analysis/excerpts/", views.excerpt_list, name="excerpts"),
]
