from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("projects/<slug:project_slug>/exchange/", views.exchange_page, name="exchange"),
    path("projects/<slug:project_slug>/exchange/export.qdpx", views.export_qdpx, name="export_qdpx"),
    path("projects/<slug:project_slug>/exchange/export.qdc", views.export_qdc, name="export_qdc"),
    path("projects/<slug:project_slug>/exchange/import/", views.import_file, name="import"),
    path("projects/<slug:project_slug>/exchange/imports/<int:pk>/", views.import_job, name="job"),
]
