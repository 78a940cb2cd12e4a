"""Writes on accounts and memberships: inviting, accepting, changing a role, removing a member."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from casestudies.models import (
    CaseStudy,
    CaseStudyMembership,
    Interview,
    ProjectMembership,
    ProjectRole,
    ResearchProject,
)

from .models import AccountEvent, Invitation

logger = logging.getLogger(__name__)

INVITATION_SALT = "accounts.invitation"
EXPIRED = "This invitation link has expired. Ask the project's lead for a new one."
USED = "This invitation has already been accepted. Log in with the password you chose."
BROKEN = "This invitation link is not valid. Check that it was copied whole, or ask for a new one."
REVOKED = "This invitation was withdrawn. Ask the project's lead for a new one."
SENT_BEFORE_REMOVAL = (
    "Your account was switched off after this invitation was sent, so it cannot bring the account back. "
    "Ask the project's lead to invite you again."
)
# What a mail server that cannot be reached, or refuses a message, raises.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


def open_invitations():
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)


def invitation_token(invitation: Invitation) -> str:
    return signing.TimestampSigner(salt=INVITATION_SALT).sign(str(invitation.pk))


def invitation_link(invitation: Invitation, base_url: str | None = None) -> str:
    path = reverse("accounts:accept_invitation", kwargs={"token": invitation_token(invitation)})
    return (base_url or settings.SITE_URL).rstrip("/") + path


def invitation_from_token(token: str) -> Invitation:
    """The open invitation the token names; a clear ValidationError when it is expired, used or broken."""
    signer = signing.TimestampSigner(salt=INVITATION_SALT)
    try:
        pk = signer.unsign(token[:200], max_age=settings.INVITATION_MAX_AGE_DAYS * 24 * 3600)
    except signing.SignatureExpired:
        raise ValidationError(EXPIRED, code="expired") from None
    except signing.BadSignature:
        raise ValidationError(BROKEN, code="broken") from None
    invitation = Invitation.objects.select_related("project").filter(pk=pk).first()
    if invitation is None:
        raise ValidationError(BROKEN, code="broken")
    if invitation.accepted_at is not None:
        raise ValidationError(USED, code="used")
    if invitation.revoked_at is not None:
        raise ValidationError(REVOKED, code="revoked")
    return invitation


def deactivated_at(user):
    """When the account was last switched off by a removal (or by an admin), or None."""
    return (
        AccountEvent.objects.filter(user=user, kind=AccountEvent.Kind.ACCOUNT_DEACTIVATED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def may_reactivate(user, invitation: Invitation) -> bool:
    """Whether accepting the invitation may switch the inactive account back on: only an invitation sent after the
    account was switched off, so that a removed member never comes back through an older one. An account that was
    never switched off (a single sign-on awaiting approval) may be."""
    if user.is_active:
        return True
    switched_off = deactivated_at(user)
    return switched_off is None or invitation.created_at > switched_off


def invitee_account(invitation: Invitation):
    """The existing account of the invited address, or None."""
    return get_user_model().objects.filter(email__iexact=invitation.email).order_by("pk").first()


def _revoke(invitations, *, by, address: str | None, why: str) -> int:
    revoked = 0
    for invitation in invitations.select_for_update():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        AccountEvent.objects.create(
            kind=AccountEvent.Kind.INVITATION_REVOKED,
            project=invitation.project,
            actor=by,
            email=invitation.email,
            detail=why[:300],
            address=address,
        )
        revoked += 1
    return revoked


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, revoked_by, address: str | None = None) -> None:
    if not _revoke(open_invitations().filter(pk=invitation.pk), by=revoked_by, address=address, why="revoked"):
        raise ValidationError("This invitation is no longer open.")


@transaction.atomic
def invite_member(
    *,
    project: ResearchProject,
    email: str,
    role: str,
    case_studies: Iterable[CaseStudy] = (),
    invited_by=None,
    base_url: str | None = None,
    address: str | None = None,
) -> tuple[Invitation, str]:
    """Records the invitation, emails the link (after the commit) and returns both. An open invitation of the same
    address to the project is revoked: there is only ever one link that works."""
    email = email.strip().lower()
    validate_email(email)
    if role not in ProjectRole.values:
        raise ValidationError(f"The role must be one of: {', '.join(ProjectRole.values)}.")
    case_studies = list(case_studies)
    if any(case_study.project_id != project.pk for case_study in case_studies):
        raise ValidationError("Every case study must belong to the project.")
    if ProjectMembership.objects.filter(project=project, user__email__iexact=email, user__is_active=True).exists():
        raise ValidationError(f"{email} is already a member of this project.")
    _revoke(
        open_invitations().filter(project=project, email__iexact=email),
        by=invited_by,
        address=address,
        why="replaced by a new invitation",
    )
    invitation = Invitation(project=project, email=email, role=role, invited_by=invited_by)
    invitation.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        raise ValidationError(f"{email} was invited to this project a moment ago; reload the members page.") from None
    invitation.case_studies.set(case_studies)
    link = invitation_link(invitation, base_url)
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.INVITATION_SENT,
        project=project,
        actor=invited_by,
        email=email,
        detail=role,
        address=address,
    )
    transaction.on_commit(lambda: send_invitation(invitation.pk, link))
    return invitation, link


def send_invitation(invitation_id: int, link: str) -> str:
    """Emails the invitation's link. A mail server that cannot be reached or refuses it does not undo the
    invitation: the reason is kept with it ("not sent: …") for the lead, who can send it again. Returns that reason,
    or "" when the mail went out."""
    invitation = Invitation.objects.select_related("project").get(pk=invitation_id)
    context = {"invitation": invitation, "link": link, "case_studies": list(invitation.case_studies.all())}
    body = render_to_string("accounts/invitation_email.txt", context)
    try:
        send_mail(f"Invitation to {invitation.project.title}", body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    except MAIL_ERRORS as error:
        logger.warning("The invitation %s to %s was not sent: %s", invitation.pk, invitation.email, error)
        reason = f"not sent: {error or type(error).__name__}"[:300]
        Invitation.objects.filter(pk=invitation.pk).update(send_error=reason, sent_at=None)
        AccountEvent.objects.create(
            kind=AccountEvent.Kind.INVITATION_NOT_SENT,
            project=invitation.project,
            email=invitation.email,
            detail=reason,
        )
        return reason
    Invitation.objects.filter(pk=invitation.pk).update(send_error="", sent_at=timezone.now())
    return ""


def send_invitation_again(*, invitation: Invitation, base_url: str | None = None) -> str:
    """Sends an open invitation's link once more (a fresh link, whose days run from now) and returns it; whether the
    mail went out is kept with the invitation (`send_error`)."""
    if not open_invitations().filter(pk=invitation.pk).exists():
        raise ValidationError("This invitation is no longer open.")
    link = invitation_link(invitation, base_url)
    send_invitation(invitation.pk, link)
    return link


def _grant(invitation: Invitation, user) -> None:
    ProjectMembership.objects.update_or_create(
        project=invitation.project, user=user, defaults={"role": invitation.role}
    )
    for case_study in invitation.case_studies.all():
        CaseStudyMembership.objects.get_or_create(case_study=case_study, user=user)


@transaction.atomic
def accept_invitation(
    *,
    invitation: Invitation,
    password: str | None,
    address: str | None = None,
    via: str = "",
    first_name: str = "",
    last_name: str = "",
):
    """A new account for the invited address with the chosen password, or the existing account of that address,
    with the invitation's memberships. The invitation works once. The name given (on the invitation page; single
    sign-on brings its own) is the one colleagues see, on a new account or one switched back on.

    An active account keeps its password. An inactive one is switched back on only by an invitation sent after it
    was switched off (`may_reactivate`), and then with the password chosen now (or, through single sign-on, none):
    the password it had before is never accepted again."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(USED, code="used")
    if invitation.revoked_at is not None:
        raise ValidationError(REVOKED, code="revoked")
    User = get_user_model()
    user = invitee_account(invitation)
    if user is None:
        if password is None:
            raise ValidationError("Choose a password.")
        user = User(
            username=invitation.email[:150],
            email=invitation.email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        password_validation.validate_password(password, user)
        if User.objects.filter(username=user.username).exists():
            raise ValidationError("An account with this username exists already; ask an admin to add you.")
        user.set_password(password)
        user.full_clean()
        user.save()
    elif not user.is_active:
        if not may_reactivate(user, invitation):
            raise ValidationError(SENT_BEFORE_REMOVAL, code="sent_before_removal")
        if first_name.strip():
            user.first_name, user.last_name = first_name.strip(), last_name.strip()
        if password is None:
            user.set_unusable_password()
        else:
            password_validation.validate_password(password, user)
            user.set_password(password)
        user.is_active = True
        user.save(update_fields=["is_active", "password", "first_name", "last_name"])
        AccountEvent.objects.create(
            kind=AccountEvent.Kind.ACCOUNT_REACTIVATED,
            project=invitation.project,
            user=user,
            email=invitation.email,
            detail=f"invitation accepted{' through ' + via if via else ''}",
            address=address,
        )
    _grant(invitation, user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.INVITATION_ACCEPTED,
        project=invitation.project,
        user=user,
        email=invitation.email,
        detail=via,
        address=address,
    )
    return user


@transaction.atomic
def change_role(
    *, project: ResearchProject, user, role: str, changed_by, address: str | None = None
) -> ProjectMembership:
    if role not in ProjectRole.values:
        raise ValidationError(f"The role must be one of: {', '.join(ProjectRole.values)}.")
    membership = ProjectMembership.objects.select_for_update().filter(project=project, user=user).first()
    if membership is None:
        raise ValidationError("They are not a member of this project.")
    if membership.role == ProjectRole.LEAD and role != ProjectRole.LEAD:
        _keep_a_lead(project, user)
    membership.role = role
    membership.save(update_fields=["role"])
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.ROLE_CHANGED, project=project, user=user, actor=changed_by, detail=role, address=address
    )
    return membership


def _keep_a_lead(project: ResearchProject, user) -> None:
    others = ProjectMembership.objects.filter(project=project, role=ProjectRole.LEAD, user__is_active=True).exclude(
        user=user
    )
    if not others.exists():
        raise ValidationError("A project keeps at least one lead: make someone else lead first.")


def unfinished_interviews(project: ResearchProject, user):
    """The interviews a member is responsible for: those of the project they are named as interviewer of (the only
    assignment of people to interviews the records keep)."""
    return Interview.objects.filter(project=project, interviewer=user)


@transaction.atomic
def remove_member(*, project: ResearchProject, user, removed_by, hand_to=None, address: str | None = None) -> int:
    """Ends the member's memberships of the project and its case studies (kept in the history), revokes the open
    invitations of their address to the project, hands their interviews to `hand_to`, and deactivates the account
    when no membership is left anywhere, so that they can no longer sign in (their open invitations elsewhere are
    revoked too). Their excerpts keep them as coder: the account is never deleted. Returns the interviews handed
    on."""
    if user == removed_by:
        raise ValidationError("You cannot remove yourself; ask another lead or an admin.")
    membership = ProjectMembership.objects.filter(project=project, user=user).first()
    case_memberships = CaseStudyMembership.objects.filter(case_study__project=project, user=user)
    if membership is None and not case_memberships.exists():
        raise ValidationError("They are not a member of this project.")
    if membership is not None and membership.role == ProjectRole.LEAD:
        _keep_a_lead(project, user)
    if hand_to is not None:
        if hand_to == user or not hand_to.is_active:
            raise ValidationError("Hand their interviews to another active member.")
        if not (
            ProjectMembership.objects.filter(project=project, user=hand_to).exists()
            or CaseStudyMembership.objects.filter(case_study__project=project, user=hand_to).exists()
        ):
            raise ValidationError("Hand their interviews to a member of this project.")
    handed = 0
    if hand_to is not None:
        for interview in unfinished_interviews(project, user):
            interview.interviewer = hand_to
            interview.save(update_fields=["interviewer", "updated_at"])
            handed += 1
    for case_membership in case_memberships:
        case_membership.delete()
    if membership is not None:
        membership.delete()
    detail = f"interviews handed to {hand_to.username}: {handed}" if hand_to is not None else ""
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.MEMBER_REMOVED,
        project=project,
        user=user,
        actor=removed_by,
        detail=detail[:300],
        address=address,
    )
    if user.email:
        _revoke(
            open_invitations().filter(project=project, email__iexact=user.email),
            by=removed_by,
            address=address,
            why="member removed",
        )
    remaining = (
        ProjectMembership.objects.filter(user=user).exists() or CaseStudyMembership.objects.filter(user=user).exists()
    )
    if not remaining and not user.is_staff and user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        record_switched_off(user=user, by=removed_by, project=project, address=address)
    return handed


def record_switched_off(*, user, by, project: ResearchProject | None = None, address: str | None = None) -> None:
    """An account was switched off (by a removal, or by an admin): from now on only an invitation made after this
    brings it back (`may_reactivate`), so the open invitations of its address are revoked."""
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.ACCOUNT_DEACTIVATED, project=project, user=user, actor=by, address=address
    )
    if user.email:
        _revoke(open_invitations().filter(email__iexact=user.email), by=by, address=address, why="account switched off")


def record_password_reset(*, email: str, address: str | None) -> None:
    AccountEvent.objects.create(kind=AccountEvent.Kind.PASSWORD_RESET_REQUESTED, email=email[:254], address=address)


def record_reset_not_sent(*, user, error: Exception) -> None:
    logger.warning("The password reset email for user %s was not sent: %s", user.pk, error)
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.PASSWORD_RESET_NOT_SENT,
        user=user,
        email=user.email[:254],
        detail=f"not sent: {error or type(error).__name__}"[:300],
    )


def password_resets_exceeded(*, email: str, address: str | None) -> bool:
    since = timezone.now() - timedelta(hours=1)
    recent = AccountEvent.objects.filter(kind=AccountEvent.Kind.PASSWORD_RESET_REQUESTED, created_at__gte=since)
    limit = settings.PASSWORD_RESET_LIMIT
    if recent.filter(email__iexact=email).count() >= limit:
        return True
    return bool(address) and recent.filter(address=address).count() >= limit


def initials_of(name: str) -> str:
    """The first letter of each word of a name, up to four: "Ada Admin (demo)" gives "AAD"; words that start
    with no letter or digit ("(", "&") are read from their first one."""
    letters = (next((character for character in word if character.isalnum()), "") for word in name.split())
    return "".join(letters)[:4].upper()


@transaction.atomic
def update_profile(*, user, display_name: str, initials: str, colour: str = ""):
    from .models import Profile

    profile = Profile.objects.select_for_update().filter(user=user).first()
    created = profile is None
    if created:
        profile = Profile(user=user)
    profile.display_name = display_name.strip()
    profile.initials = initials.strip() or initials_of(profile.display_name or user.get_full_name())
    profile.colour = colour
    profile.full_clean()
    profile.save(update_fields=None if created else ["display_name", "initials", "colour"])
    return profile
