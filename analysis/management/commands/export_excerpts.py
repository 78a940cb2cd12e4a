"""python manage.py export_excerpts --project SLUG --format csv|xlsx --out FILE"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casestudies.models import ResearchProject
from coding.models import Excerpt
from disclosure.redaction import redactor_for

from ...exports import export_excerpts
from ...tabular import csv_bytes, xlsx_bytes


class Command(BaseCommand):
    help = (
        "Write every excerpt of a project with its codes, interview, case study, participant (pseudonym and role), "
        "coder, memo and offsets to a CSV (UTF-8 with BOM) or XLSX file that opens cleanly in Excel."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("--format", required=True, choices=["csv", "xlsx"], dest="file_format")
        parser.add_argument("--out", required=True, help="The file to write; '-' writes CSV to standard output.")

    def handle(self, *args, project: str, file_format: str, out: str, **options) -> None:
        try:
            record = ResearchProject.objects.get(slug=project)
        except ResearchProject.DoesNotExist:
            raise CommandError(f"No project has the slug “{project}”.") from None
        if out == "-" and file_format != "csv":
            raise CommandError("Only CSV can be written to standard output; give a file name for XLSX.")
        export = export_excerpts(record, Excerpt.objects.all())
        redactor = redactor_for(record)
        data = (
            csv_bytes(export.header, export.rows, redactor=redactor)
            if file_format == "csv"
            else xlsx_bytes(export.sheets(), redactor=redactor)
        )
        if out == "-":
            self.stdout.write(data.decode("utf-8"), ending="")
            return
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        path.write_bytes(data)
        self.stdout.write(f"Wrote {path}: {export.summary}")
