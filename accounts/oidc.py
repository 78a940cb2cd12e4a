"""Single sign-on through an institution's OpenID Connect provider (mozilla-django-oidc), on when OIDC_ENABLED.

A person is matched by email. An unknown person with an open invitation gets its memberships and signs in; any
other unknown person gets an inactive account, which an admin approves by activating it (Admin › Users) or a lead
by inviting that address. A deactivated account stays refused.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .models import AccountEvent, Invitation
from .services import _grant


def _open_invitation(email: str) -> Invitation | None:
    since = timezone.now() - timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    return (
        Invitation.objects.filter(email__iexact=email, accepted_at__isnull=True, created_at__gte=since)
        .order_by("-created_at")
        .first()
    )


class InstitutionSignInBackend(OIDCAuthenticationBackend):
    def get_username(self, claims: dict) -> str:
        return claims["email"].strip().lower()[:150]

    @transaction.atomic
    def update_user(self, user, claims: dict):
        """An inactive account (awaiting approval, or a member removed earlier) becomes active through an open
        invitation to its address; otherwise it stays as it is."""
        if not user.is_active:
            invitation = _open_invitation(user.email)
            if invitation is not None:
                user.is_active = True
                user.save(update_fields=["is_active"])
                _accept(invitation, user)
        return user

    @transaction.atomic
    def create_user(self, claims: dict):
        email = claims["email"].strip().lower()
        invitation = _open_invitation(email)
        user = self.UserModel(
            username=self.get_username(claims),
            email=email,
            first_name=str(claims.get("given_name", ""))[:150],
            last_name=str(claims.get("family_name", ""))[:150],
            is_active=invitation is not None,
        )
        user.set_unusable_password()
        user.save()
        if invitation is None:
            AccountEvent.objects.create(
                kind=AccountEvent.Kind.SIGN_IN_AWAITING_APPROVAL, user=user, email=email, detail="single sign-on"
            )
            return user
        _accept(invitation, user)
        return user


def _accept(invitation: Invitation, user) -> None:
    _grant(invitation, user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.INVITATION_ACCEPTED,
        project=invitation.project,
        user=user,
        email=invitation.email,
        detail="single sign-on",
    )
