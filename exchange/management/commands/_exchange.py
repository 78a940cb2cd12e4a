"""What the exchange commands share: finding the project and the user, and reading a file in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from casestudies.models import ResearchProject
from exchange.report import ImportReport


def get_project(slug: str) -> ResearchProject:
    try:
        return ResearchProject.objects.get(slug=slug)
    except ResearchProject.DoesNotExist as error:
        raise CommandError(f"There is no project with the slug “{slug}”.") from error


def get_user(username: str | None):
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist as error:
        raise CommandError(f"There is no user “{username}”.") from error


class ImportCommand(BaseCommand):
    """Reads one exchange file into a project and prints the import report; a refusal exits non-zero."""

    file_kind: str
    importer: Callable[..., ImportReport]

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help=f"The {self.file_kind} file to import.")
        parser.add_argument("--project", required=True, help="The slug of the project to import into.")
        parser.add_argument("--user", help="The username to credit work with no recorded user to.")

    def handle(self, *args, file: str, project: str, user: str | None = None, **options) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file “{file}”.")
        target, importer = get_project(project), get_user(user)
        try:
            with path.open("rb") as upload:
                report = self.importer(project=target, upload=upload, file_name=path.name, imported_by=importer)
        except ValidationError as error:
            raise CommandError(f"{' '.join(error.messages)} Nothing was imported.") from error
        self.stdout.write(report.as_text())
