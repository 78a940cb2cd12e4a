from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("projects/<slug:project_slug>/members/", views.members, name="members"),
    path("projects/<slug:project_slug>/members/invite/", views.invite, name="invite"),
    path("projects/<slug:project_slug>/members/<int:user_id>/role/", views.change_role, name="change_role"),
    path("projects/<slug:project_slug>/members/<int:user_id>/remove/", views.remove_member, name="remove_member"),
    path(
        "projects/<slug:project_slug>/invitations/<int:invitation_id>/send/",
        views.send_invitation_again,
        name="send_invitation_again",
    ),
    path(
        "projects/<slug:project_slug>/invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("accounts/profile/", views.profile, name="profile"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
