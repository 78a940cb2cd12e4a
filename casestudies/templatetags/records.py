from django import template

register = template.Library()


@register.filter
def person(user) -> str:
    """A user as colleagues know them: full name, else username, else a dash."""
    if not user:
        return "—"
    return user.get_full_name() or user.username
