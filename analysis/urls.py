from django.urls import path

from . import views

app_name = "analysis"

base = "projects/<slug:project_slug>/analysis/"
framework_cell = base + "framework/<int:case_study_pk>/<int:question_pk>/"

urlpatterns = [
    path(base, views.index, name="index"),
    path(base + "matrices/<slug:kind>/", views.matrix, name="matrix"),
    path(base + "excerpts/", views.excerpt_list, name="excerpts"),
    path(base + "codebook/", views.codebook_export, name="codebook_export"),
    path(base + "framework/", views.framework, name="framework"),
    path(framework_cell, views.framework_cell_view, name="framework_cell"),
    path(framework_cell + "edit/", views.framework_edit, name="framework_edit"),
    path(framework_cell + "excerpts/", views.framework_excerpts, name="framework_excerpts"),
    path(base + "co-occurrence/", views.cooccurrence, name="cooccurrence"),
    path(base + "co-occurrence/pairs/", views.cooccurrence_pairs_view, name="cooccurrence_pairs"),
    path(base + "queries/", views.code_query, name="queries"),
    path(base + "queries/save/", views.code_query_save, name="query_save"),
    path(base + "queries/<int:pk>/delete/", views.code_query_delete, name="query_delete"),
    path(base + "search/", views.search, name="search"),
    path(base + "search/code/", views.search_code, name="search_code"),
    path(base + "agreement/", views.agreement_view, name="agreement"),
    path(base + "agreement/disagreements/", views.disagreements, name="disagreements"),
    path(base + "blind-coding/", views.blind_coding, name="blind_coding"),
    path(base + "blind-coding/<int:pk>/<slug:action>/", views.blind_coding_change, name="blind_coding_change"),
]
