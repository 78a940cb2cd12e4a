"""Single sign-on through an institution's OpenID Connect provider (mozilla-django-oidc), on when OIDC_ENABLED.

A person is matched by email. An unknown person with an open invitation gets its memberships and signs in; any
other unknown person gets an inactive account, which an admin approves by activating it (Admin › Users) or a lead
by inviting that address. An account switched off by a removal stays refused unless a lead invited the address
again after the removal (`services.may_reactivate`, the same rule as an invitation link's).

A provider that cannot be reached, or answers with an error, sends the person back to the login page with the
reason, and the reason is logged; it is never a server error.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from . import services
from .models import AccountEvent, Invitation

logger = logging.getLogger(__name__)

# Why a sign-in came back without an active account; the login page says each in words.
UNREACHABLE = "unreachable"
PROVIDER_ERROR = "provider_error"
DENIED = "denied"
REFUSED = "refused"


def _open_invitation(email: str) -> Invitation | None:
    since = timezone.now() - timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    return (
        services.open_invitations().filter(email__iexact=email, created_at__gte=since).order_by("-created_at").first()
    )


class InstitutionSignInBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        try:
            return super().authenticate(request, **kwargs)
        except requests.exceptions.HTTPError as error:
            reason, why = (
                PROVIDER_ERROR,
                f"the provider answered {error.response.status_code if error.response is not None else 'an error'}",
            )
        except requests.exceptions.RequestException as error:
            reason, why = UNREACHABLE, f"the provider could not be reached ({type(error).__name__}: {error})"
        logger.warning("Single sign-on failed: %s", why)
        if request is not None:
            request.sign_in_failure = reason
        AccountEvent.objects.create(kind=AccountEvent.Kind.SIGN_IN_REFUSED, detail=why[:300])
        return None

    def get_username(self, claims: dict) -> str:
        return claims["email"].strip().lower()[:150]

    @transaction.atomic
    def update_user(self, user, claims: dict):
        """An inactive account (awaiting approval, or a member removed earlier) becomes active through an open
        invitation to its address sent after it was switched off; otherwise it stays as it is."""
        if not user.is_active:
            invitation = _open_invitation(user.email)
            if invitation is not None:
                try:
                    services.accept_invitation(invitation=invitation, password=None, via="single sign-on")
                except ValidationError as error:
                    AccountEvent.objects.create(
                        kind=AccountEvent.Kind.SIGN_IN_REFUSED,
                        user=user,
                        email=user.email,
                        detail=error.messages[0][:300],
                    )
                else:
                    user.refresh_from_db()
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
        services.accept_invitation(invitation=invitation, password=None, via="single sign-on")
        return user


class SignInCallbackView(OIDCAuthenticationCallbackView):
    """The provider's callback; a sign-in that ends without an active account goes back to the login page, which
    says why."""

    def get(self, request):
        if request.GET.get("error"):
            logger.info("Single sign-on declined by the provider: %s", request.GET.get("error")[:100])
            request.sign_in_failure = DENIED
        return super().get(request)

    def login_failure(self):
        if self.request.user.is_authenticated:
            logout(self.request)
        reason = getattr(self.request, "sign_in_failure", REFUSED)
        return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'sign_in': reason})}")
