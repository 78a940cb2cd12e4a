from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from casestudies.models import CaseStudy, CaseStudyMembership, ProjectMembership
from casestudies.templatetags.records import person
from disclosure import access
from partnership.network import client_address

from . import services
from .forms import ChoosePasswordForm, InvitationForm, ProfileForm, RemoveMemberForm, RoleForm
from .mail import mail_goes_to_console
from .models import Invitation, Profile


def _people(project):
    """The project's members and the members of its case studies."""
    return get_user_model().objects.filter(
        pk__in=ProjectMembership.objects.filter(project=project)
        .values("user_id")
        .union(CaseStudyMembership.objects.filter(case_study__project=project).values("user_id"))
    )


def _member_for(project, user_id: int):
    return get_object_or_404(_people(project), pk=user_id)


@require_http_methods(["GET"])
def members(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_managed_project_for(request.user, project_slug)
    roles = dict(ProjectMembership.objects.filter(project=project).values_list("user_id", "role"))
    case_studies = (
        CaseStudy.objects.filter(project=project)
        .prefetch_related(Prefetch("memberships", queryset=CaseStudyMembership.objects.select_related("user")))
        .order_by("order", "title")
    )
    people = list(_people(project).order_by("username"))
    rows = [{"user": person, "role": roles.get(person.pk, "")} for person in people]
    context = {
        "project": project,
        "can_manage": True,
        "rows": rows,
        "case_studies": case_studies,
        "open_invitations": services.open_invitations().filter(project=project).select_related("invited_by"),
        "role_form": RoleForm(),
        "remove_form": RemoveMemberForm(people=_people(project).filter(is_active=True)),
    }
    return render(request, "accounts/members.html", context)


@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_managed_project_for(request.user, project_slug)
    form = InvitationForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, link = services.invite_member(
                project=project,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                case_studies=form.cleaned_data["case_studies"],
                invited_by=request.user,
                base_url=request.build_absolute_uri("/"),
                address=client_address(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The email went out when the invitation was committed; whether it could be is kept with it.
            invitation.refresh_from_db(fields=["send_error"])
            _report_sending(request, invitation, link)
            return redirect("accounts:members", project_slug=project.slug)
    return render(request, "accounts/invite.html", {"project": project, "can_manage": True, "form": form})


def _report_sending(request: HttpRequest, invitation: Invitation, link: str) -> None:
    """Whether the invitation's email went out; and, where mail only goes to this server's console (so nobody
    receives it), the link itself, for the lead to pass on (base.html shows it in a box to copy)."""
    if invitation.send_error:
        messages.error(
            request,
            f"The invitation to {invitation.email} is saved, but its email was {invitation.send_error}. "
            "Send it again from the list of open invitations once the mail server is back.",
        )
    elif mail_goes_to_console():
        messages.success(
            request,
            f"Invitation made for {invitation.email}. No mail server is set up, so the email was only written to "
            "this server's console: send them the link below yourself. It works once.",
        )
        messages.info(request, link, extra_tags="invitation-link")
    else:
        messages.success(request, f"Invitation sent to {invitation.email}.")


def _open_invitation_for(project, invitation_id: int) -> Invitation:
    return get_object_or_404(services.open_invitations().filter(project=project), pk=invitation_id)


@require_POST
def send_invitation_again(request: HttpRequest, project_slug: str, invitation_id: int) -> HttpResponse:
    project = access.get_managed_project_for(request.user, project_slug)
    invitation = _open_invitation_for(project, invitation_id)
    link = services.send_invitation_again(invitation=invitation, base_url=request.build_absolute_uri("/"))
    invitation.refresh_from_db(fields=["send_error"])
    _report_sending(request, invitation, link)
    return redirect("accounts:members", project_slug=project.slug)


@require_POST
def revoke_invitation(request: HttpRequest, project_slug: str, invitation_id: int) -> HttpResponse:
    project = access.get_managed_project_for(request.user, project_slug)
    invitation = _open_invitation_for(project, invitation_id)
    try:
        services.revoke_invitation(invitation=invitation, revoked_by=request.user, address=client_address(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The invitation to {invitation.email} is withdrawn: its link no longer works.")
    return redirect("accounts:members", project_slug=project.slug)


@require_POST
def change_role(request: HttpRequest, project_slug: str, user_id: int) -> HttpResponse:
    project = access.get_managed_project_for(request.user, project_slug)
    member = _member_for(project, user_id)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose a role.")
        services.change_role(
            project=project,
            user=member,
            role=form.cleaned_data["role"],
            changed_by=request.user,
            address=client_address(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{person(member)} is now {form.cleaned_data['role']}.")
    return redirect("accounts:members", project_slug=project.slug)


@require_POST
def remove_member(request: HttpRequest, project_slug: str, user_id: int) -> HttpResponse:
    project = access.get_managed_project_for(request.user, project_slug)
    member = _member_for(project, user_id)
    form = RemoveMemberForm(request.POST, people=_people(project).filter(is_active=True))
    try:
        if not form.is_valid():
            raise ValidationError("Choose a member of this project to hand the interviews to.")
        handed = services.remove_member(
            project=project,
            user=member,
            removed_by=request.user,
            hand_to=form.cleaned_data["hand_to"],
            address=client_address(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{person(member)} was removed from the project; {handed} interviews handed on.")
    return redirect("accounts:members", project_slug=project.slug)


@login_not_required
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token)
    except ValidationError as error:
        return render(request, "accounts/invitation_refused.html", {"reason": error.messages[0]}, status=410)
    account = services.invitee_account(invitation)
    if account is not None and not services.may_reactivate(account, invitation):
        reason = services.SENT_BEFORE_REMOVAL
        return render(request, "accounts/invitation_refused.html", {"reason": reason}, status=410)
    asks_password = account is None or not account.is_active
    form = None
    if asks_password:
        # A switched-off account is offered the name it had.
        initial = {"first_name": account.first_name, "last_name": account.last_name} if account is not None else {}
        form = ChoosePasswordForm(request.POST or None, email=invitation.email, initial=initial)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            services.accept_invitation(
                invitation=invitation,
                password=form.cleaned_data["password1"] if form is not None else None,
                first_name=form.cleaned_data["first_name"] if form is not None else "",
                last_name=form.cleaned_data["last_name"] if form is not None else "",
                address=client_address(request),
            )
        except ValidationError as error:
            return render(request, "accounts/invitation_refused.html", {"reason": error.messages[0]}, status=410)
        username = account.get_username() if account is not None else invitation.email[:150]
        messages.success(request, f"Welcome to {invitation.project.title}. Log in as {username}.")
        return redirect(reverse("login") + f"?next={invitation.project.get_absolute_url()}")
    context = {"invitation": invitation, "form": form, "account": account}
    return render(request, "accounts/accept_invitation.html", context)


class RecordedPasswordResetForm(PasswordResetForm):
    """Django's reset form; a reset email the mail server did not take is recorded as an account event for admins.
    The person asking sees the same page either way, so that it never tells which addresses have an account."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        message = EmailMultiAlternatives(
            subject, render_to_string(email_template_name, context), from_email, [to_email]
        )
        if html_email_template_name is not None:
            message.attach_alternative(render_to_string(html_email_template_name, context), "text/html")
        try:
            message.send()
        except services.MAIL_ERRORS as error:
            services.record_reset_not_sent(user=context["user"], error=error)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, refusing more than PASSWORD_RESET_LIMIT requests an hour per address, and recording
    each request."""

    form_class = RecordedPasswordResetForm

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        address = client_address(self.request)
        if services.password_resets_exceeded(email=email, address=address):
            form.add_error(None, "Too many reset requests: try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        services.record_password_reset(email=email, address=address)
        return super().form_valid(form)


class ResetRequestedView(auth_views.PasswordResetDoneView):
    """Django's "check your email" page, which also says where the email went when no mail server is set up."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"mail_to_console": mail_goes_to_console()}


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    current = Profile.objects.filter(user=request.user).first()
    initial = (
        {"display_name": current.display_name, "initials": current.initials, "colour": current.colour}
        if current
        else {}
    )
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
