from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from exchange.exporting import build_project_archive

from ._exchange import get_project


class Command(BaseCommand):
    help = "Export a whole project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA or QualCoder."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("--out", required=True, help="The .qdpx file to write.")

    def handle(self, *args, project: str, out: str, **options) -> None:
        data = build_project_archive(project=get_project(project), user=None)
        Path(out).write_bytes(data)
        self.stdout.write(f"Wrote {out} ({len(data):,} bytes).")
