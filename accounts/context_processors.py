from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from disclosure.access import lead_project_ids


def lead_projects(request: HttpRequest) -> dict:
    """The ids of the projects the user leads, read only by a page that shows the Members link."""
    user = getattr(request, "user", None)
    return {
        "user_lead_project_ids": SimpleLazyObject(
            lambda: (
                set(lead_project_ids(user).values_list("project_id", flat=True))
                if user is not None and user.is_authenticated
                else set()
            )
        )
    }
