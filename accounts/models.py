"""Invitations to a project, and the account events admins read: invitations sent and accepted, resets requested,
members removed and roles changed."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from casestudies.models import CaseStudy, ProjectRole, ResearchProject
from coding.colours import HEX_COLOUR
from partnership.history import recorded_history


class Invitation(models.Model):
    """A one-time invitation to a project (and chosen case studies) with a role; the link carries its signed id.

    An address has at most one open invitation to a project: a new one revokes the old, and removing a member
    revokes theirs. Whether its email went out is kept with it (`sent_at`, or `send_error`)."""

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=ProjectRole.choices, default=ProjectRole.RESEARCHER)
    case_studies = models.ManyToManyField(CaseStudy, blank=True, related_name="invitations")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations_accepted"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When its email was last handed to the mail server."
    )
    send_error = models.CharField(max_length=300, blank=True, help_text="Why its email could not be sent, if so.")

    history = recorded_history()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="accounts_invitation_one_open_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.project} ({self.get_role_display()})"


class AccountEvent(models.Model):
    class Kind(models.TextChoices):
        INVITATION_SENT = "invitation_sent", "Invitation sent"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        INVITATION_NOT_SENT = "invitation_not_sent", "Invitation email not sent"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        ROLE_CHANGED = "role_changed", "Role changed"
        MEMBER_REMOVED = "member_removed", "Member removed"
        ACCOUNT_DEACTIVATED = "account_deactivated", "Account deactivated"
        ACCOUNT_REACTIVATED = "account_reactivated", "Account reactivated"
        SIGN_IN_AWAITING_APPROVAL = "sign_in_awaiting_approval", "Single sign-on awaiting approval"
        SIGN_IN_REFUSED = "sign_in_refused", "Single sign-on refused"
        PASSWORD_RESET_NOT_SENT = "password_reset_not_sent", "Password reset email not sent"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    project = models.ForeignKey(
        ResearchProject, null=True, blank=True, on_delete=models.SET_NULL, related_name="account_events"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="account_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="account_events_made"
    )
    email = models.EmailField(max_length=254, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.email or self.user}"


class Profile(models.Model):
    """How colleagues see a person: a display name, and the initials a coder mark shows."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=100, blank=True)
    initials = models.CharField(max_length=4, blank=True, help_text="Up to four letters, shown on coder marks.")
    colour = models.CharField(
        max_length=7,
        blank=True,
        validators=[RegexValidator(HEX_COLOUR.pattern, "Enter a colour as #rrggbb, for example #332288.")],
        help_text="Their initials' colour where colleagues see them at work; blank for one chosen for them.",
    )

    history = recorded_history()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(initials__regex=r"^[^\s]{0,4}$"), name="accounts_profile_initials_no_spaces"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()
