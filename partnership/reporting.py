"""What an error report (the DEBUG page, the mail to admins, the log) may show of a request."""

from django.http import HttpRequest, QueryDict
from django.views.debug import SafeExceptionReporterFilter


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hides the POST parameters a view marked with `sensitive_post_parameters`, also with DEBUG on.

    Django's own filter stands aside under DEBUG, so the error page would show a participant's real name just typed
    into the admin. A name marked sensitive also covers the same field in every form of a formset (an admin inline
    posts `participants-0-real_name`).
    """

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> QueryDict | dict:
        if request is None:
            return {}
        sensitive = getattr(request, "sensitive_post_parameters", [])
        if not sensitive:
            return request.POST
        cleansed = request.POST.copy()
        for key in cleansed:
            if sensitive == "__ALL__" or any(key == name or key.endswith(f"-{name}") for name in sensitive):
                cleansed[key] = self.cleansed_substitute
        return cleansed
