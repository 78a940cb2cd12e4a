"""Email where no mail server is set up (`make run`, `make dev`): written to the console, readable as it stands."""

from __future__ import annotations

from django.conf import settings
from django.core.mail.backends import console

CONSOLE_BACKENDS = {"accounts.mail.ConsoleEmailBackend", "django.core.mail.backends.console.EmailBackend"}


def mail_goes_to_console() -> bool:
    """Whether sent mail is only written to this server's console, so that nobody receives it: then the person
    who sent an invitation is shown its link, to pass on themselves."""
    return settings.MAILERS["default"]["BACKEND"] in CONSOLE_BACKENDS


class ConsoleEmailBackend(console.EmailBackend):
    """Django's console backend, writing each message as a person reads it: who it is from and to, the subject and
    the plain text as written. Django's own writes the encoded message, whose quoted-printable body breaks a long
    line (an invitation or reset link) in two with a trailing "=", so the first half alone is refused."""

    def write_message(self, message) -> None:
        lines = [f"From: {message.from_email}", f"To: {', '.join(message.to)}"]
        if message.cc:
            lines.append(f"Cc: {', '.join(message.cc)}")
        lines += [f"Subject: {message.subject}", "", message.body.rstrip("\n")]
        alternatives = getattr(message, "alternatives", [])
        if alternatives:
            kinds = ", ".join(alternative.mimetype for alternative in alternatives)
            lines += ["", f"(Also sent as {kinds}, not shown here.)"]
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")
