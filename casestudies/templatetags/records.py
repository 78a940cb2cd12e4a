from django import template
from django.utils.html import format_html

from casestudies.models import ResearchProject
from disclosure.access import role_in_project

register = template.Library()


@register.filter
def person(user) -> str:
    """A user as colleagues know them: full name, else username, else a dash."""
    if not user:
        return "—"
    return user.get_full_name() or user.username


# How often a page showing a background job asks again while the job runs.
POLL_EVERY = "1s"


@register.simple_tag
def follow_job(url: str, active: bool) -> str:
    """The htmx attributes that refresh an element from `url` while a background job runs (`active`), and nothing
    once it has finished: every page that follows a job polls the same way."""
    if not active:
        return ""
    return format_html(' hx-get="{}" hx-trigger="every {}" hx-swap="outerHTML"', url, POLL_EVERY)


@register.simple_tag(takes_context=True)
def role_here(context) -> str:
    """The user's role where they are: in the page's project, or an administrator anywhere."""
    project = context.get("project")
    return role_in_project(context.get("user"), project if isinstance(project, ResearchProject) else None)
