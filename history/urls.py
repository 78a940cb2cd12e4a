from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("projects/<slug:project_slug>/activity/", views.activity, name="activity"),
    path("projects/<slug:project_slug>/activity/seen/", views.activity_seen, name="activity_seen"),
    path("history/<str:kind>/<int:pk>/", views.record_history, name="record"),
    path("history/<str:kind>/<int:pk>/restore/", views.restore, name="restore"),
    path("history/merges/<int:pk>/undo/", views.undo_merge, name="undo_merge"),
]
