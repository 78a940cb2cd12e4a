"""Coding on pages of other apps: a member's "Carry on coding" on the project's page."""

from __future__ import annotations

from django import template

from coding.selectors import coding_to_resume, interviews_not_yet_coded

register = template.Library()


@register.inclusion_tag("coding/includes/carry_on.html", takes_context=True)
def carry_on_coding(context, project) -> dict:
    """The interviews the user coded last, each with a link back to where they were; for someone who has coded
    nothing yet, the first interviews to start on."""
    user = context["request"].user
    resume = coding_to_resume(user=user, project=project)
    start, more = ([], False) if resume else interviews_not_yet_coded(user=user, project=project)
    return {"resume": resume, "start": start, "more": more}
