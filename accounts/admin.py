from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AccountEvent, Invitation, Profile


@admin.register(Invitation)
class InvitationAdmin(SimpleHistoryAdmin):
    list_display = [
        "email",
        "project",
        "role",
        "invited_by",
        "created_at",
        "sent_at",
        "send_error",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["project", "role"]
    search_fields = ["email"]


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "email", "user", "actor", "project", "detail"]
    list_filter = ["kind", "project"]
    search_fields = ["email", "user__username", "detail"]
    readonly_fields = [field.name for field in AccountEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Profile)
class ProfileAdmin(SimpleHistoryAdmin):
    list_display = ["user", "display_name", "initials"]
    search_fields = ["user__username", "display_name"]
