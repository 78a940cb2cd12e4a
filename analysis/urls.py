from django.urls import path

from . import views

app_name = "analysis"

urlpatterns = [
    path("projects/<slug:project_slug>/analysis/", views.index, name="index"),
    path("projects/<slug:project_slug>/analysis/matrices/<slug:kind>/", views.matrix, name="matrix"),
    path("projects/<slug:project_slug>/analysis/excerpts/", views.excerpt_list, name="excerpts"),
]

framework = "projects/<slug:project_slug>/analysis/framework/"
cell = framework + "<int:case_study_pk>/<int:question_pk>/"
urlpatterns += [
    path(framework, views.framework, name="framework"),
    path(cell, views.framework_cell_view, name="framework_cell"),
    path(cell + "edit/", views.framework_edit, name="framework_edit"),
    path(cell + "excerpts/", views.framework_excerpts, name="framework_excerpts"),
]

urlpatterns += [
    path("projects/<slug:project_slug>/analysis/co-occurrence/", views.cooccurrence, name="cooccurrence"),
    path(
        "projects/<slug:project_slug>/analysis/co-occurrence/pairs/",
        views.cooccurrence_pairs_view,
        name="cooccurrence_pairs",
    ),
]

queries = "projects/<slug:project_slug>/analysis/queries/"
urlpatterns += [
    path(queries, views.code_query, name="queries"),
    path(queries + "save/", views.code_query_save, name="query_save"),
    path(queries + "<int:pk>/delete/", views.code_query_delete, name="query_delete"),
]

urlpatterns += [
    path("projects/<slug:project_slug>/analysis/search/", views.search, name="search"),
    path("projects/<slug:project_slug>/analysis/search/code/", views.search_code, name="search_code"),
]

urlpatterns += [
    path("projects/<slug:project_slug>/analysis/agreement/", views.agreement_view, name="agreement"),
    path("projects/<slug:project_slug>/analysis/agreement/disagreements/", views.disagreements, name="disagreements"),
    path("projects/<slug:project_slug>/analysis/blind-coding/", views.blind_coding, name="blind_coding"),
    path(
        "projects/<slug:project_slug>/analysis/blind-coding/<int:pk>/<slug:action>/",
        views.blind_coding_change,
        name="blind_coding_change",
    ),
]
