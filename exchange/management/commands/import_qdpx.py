from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from exchange.importing import import_project

from ._exchange import get_project, get_user


class Command(BaseCommand):
    help = "Import a REFI-QDA project (.qdpx): codes, sources as interviews, cases, coding and notes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The .qdpx file to import.")
        parser.add_argument("--project", required=True, help="The slug of the project to import into.")
        parser.add_argument("--user", help="The username to credit work with no recorded user to.")

    def handle(self, *args, file: str, project: str, user: str | None = None, **options) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file “{file}”.")
        target, importer = get_project(project), get_user(user)
        try:
            with path.open("rb") as upload:
                report = import_project(project=target, upload=upload, file_name=path.name, imported_by=importer)
        except ValidationError as error:
            raise CommandError(f"{' '.join(error.messages)} Nothing was imported.") from error
        self.stdout.write(report.as_text())
