from django.urls import path

from . import api, correction_views, views

app_name = "coding"

urlpatterns = [
    path("projects/<slug:project_slug>/codebook/", views.codebook, name="codebook"),
    path("projects/<slug:project_slug>/codebook/new/", views.code_create, name="code_create"),
    path("projects/<slug:project_slug>/review/", correction_views.project_review, name="project_review"),
    path("projects/<slug:project_slug>/key-quotes/", views.key_quotes, name="key_quotes"),
    path("codes/<int:pk>/", views.code_detail, name="code"),
    path("codes/<int:pk>/edit/", views.code_edit, name="code_edit"),
    path("codes/<int:pk>/merge/", views.code_merge, name="code_merge"),
    path("codes/<int:pk>/archive/", views.code_archive, name="code_archive"),
    path("codes/<int:pk>/delete/", views.code_delete, name="code_delete"),
    path("interviews/<int:pk>/code/", views.interview_coding, name="interview"),
    path("interviews/<int:pk>/document/", views.interview_document, name="interview_document"),
    path("interviews/<int:pk>/correct/", correction_views.transcript_correct, name="transcript_correct"),
    path("interviews/<int:pk>/redact/", correction_views.transcript_redact, name="transcript_redact"),
    path("interviews/<int:pk>/review/", correction_views.transcript_review, name="transcript_review"),
    path("excerpts/<int:pk>/reviewed/", correction_views.excerpt_reviewed, name="excerpt_reviewed"),
    path("api/interviews/<int:pk>/excerpts", api.interview_excerpt_list, name="api_interview_excerpts"),
    path("api/interviews/<int:pk>/presence", api.interview_presence, name="api_interview_presence"),
    path("api/excerpts/<int:pk>", api.excerpt_detail, name="api_excerpt"),
    path("api/projects/<slug:slug>/codes", api.project_code_list, name="api_codes"),
    path("api/openapi.json", api.openapi, name="api_openapi"),
]
