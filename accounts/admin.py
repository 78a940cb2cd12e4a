from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from partnership.network import client_address

from . import services
from .models import AccountEvent, Invitation, Profile

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Django's user admin; switching an account off is recorded as a removal's is, so that only a later invitation
    brings it back."""

    @transaction.atomic
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.record_switched_off(user=obj, by=request.user, address=client_address(request))


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
