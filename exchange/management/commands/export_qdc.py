from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from exchange.exporting import build_codebook

from ._exchange import get_project


class Command(BaseCommand):
    help = "Export a project's codebook as a REFI-QDA codebook (.qdc)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("--out", required=True, help="The .qdc file to write.")

    def handle(self, *args, project: str, out: str, **options) -> None:
        try:
            data = build_codebook(get_project(project))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        Path(out).write_bytes(data)
        self.stdout.write(f"Wrote {out} ({len(data):,} bytes).")
