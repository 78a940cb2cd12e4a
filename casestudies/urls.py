from django.urls import path

from . import views

app_name = "casestudies"

urlpatterns = [
    path("", views.home, name="dashboard"),
    path("projects/<slug:slug>/", views.project_dashboard, name="project"),
    path("projects/<slug:project_slug>/case-studies/", views.case_study_list, name="case_study_list"),
    path("projects/<slug:project_slug>/case-studies/new/", views.case_study_create, name="case_study_create"),
    path("projects/<slug:project_slug>/case-studies/<slug:slug>/", views.case_study_detail, name="case_study"),
    path("projects/<slug:project_slug>/case-studies/<slug:slug>/edit/", views.case_study_edit, name="case_study_edit"),
    path("projects/<slug:project_slug>/interviews/new/", views.interview_create, name="interview_create"),
    path("projects/<slug:project_slug>/participants/", views.participant_list, name="participant_list"),
    path("projects/<slug:project_slug>/participants/new/", views.participant_create, name="participant_create"),
    path("interviews/<int:pk>/", views.interview_detail, name="interview"),
    path("interviews/<int:pk>/edit/", views.interview_edit, name="interview_edit"),
    path("interviews/<int:pk>/import/", views.interview_import, name="interview_import"),
    path("interviews/<int:pk>/speakers/", views.interview_speakers, name="interview_speakers"),
    path("interviews/<int:pk>/imports/<int:job>/", views.transcript_import, name="transcript_import"),
    path("participants/<int:pk>/", views.participant_detail, name="participant"),
    path("participants/<int:pk>/edit/", views.participant_edit, name="participant_edit"),
]
