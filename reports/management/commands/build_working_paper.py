import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.models import PaperFormat, WorkingPaper
from reports.services import produce_paper


class Command(BaseCommand):
    help = (
        "Build a working paper as PDF, Word or HTML and write it to a file, as the paper's Build buttons do "
        "(with the paper's current text and options). Prints each stage and its time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paper_id", type=int, help="The working paper's id (in its address: /papers/ID/).")
        parser.add_argument("--format", required=True, choices=PaperFormat.values, help="pdf, docx or html.")
        parser.add_argument("--out", required=True, type=Path, help="The file to write.")
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="Build it as this user would read it (their reach and blind coding); by default the whole project.",
        )

    def handle(self, *args, paper_id: int, format: str, out: Path, username: str, **options) -> None:
        paper = WorkingPaper.objects.select_related("project").filter(pk=paper_id).first()
        if paper is None:
            raise CommandError(f"There is no working paper with id {paper_id}.")
        if not out.parent.is_dir():
            raise CommandError(f"The folder {out.parent} does not exist.")
        reader = None
        if username:
            reader = get_user_model().objects.filter(username=username, is_active=True).first()
            if reader is None:
                raise CommandError(f"There is no active user called {username}.")
            if not WorkingPaper.objects.visible_to(reader).filter(pk=paper.pk).exists():
                raise CommandError(f"{username} may not read this paper: it includes case studies outside their reach.")
        started = time.perf_counter()

        def on_stage(stage: str) -> None:
            self.stdout.write(f"{stage.capitalize()}… (at {time.perf_counter() - started:.1f} s)")

        try:
            assembled, rendered = produce_paper(paper, reader=reader, format=format, on_stage=on_stage)
        except Exception as error:
            raise CommandError(f"The build failed: {type(error).__name__}: {error}") from error
        out.write_bytes(rendered.content)
        pages = f", {rendered.page_count} pages" if rendered.page_count else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {out} ({len(rendered.content):,} bytes{pages}; {assembled.quotation_count} quotations, "
                f"{assembled.withheld_count} withheld) in {time.perf_counter() - started:.1f} s."
            )
        )
