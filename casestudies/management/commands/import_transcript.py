import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casestudies import services
from casestudies.importers import SUPPORTED_EXTENSIONS, check_size, describe_transcript
from casestudies.models import CaseStudy, Interview, PhaseKind, ResearchProject


class Command(BaseCommand):
    help = (
        "Import a transcript file into an interview (--interview ID), or create the interview with it "
        "(--case-study SLUG --title T, or --project SLUG --title T for a scoping interview). "
        f"Formats: {', '.join(SUPPORTED_EXTENSIONS)}. A file that cannot be imported is refused with the reason, "
        "nothing is saved, and the command exits with status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The transcript file.")
        parser.add_argument("--interview", type=int, help="The id of the interview to import into.")
        parser.add_argument("--case-study", help="Create a case-study interview in the case study with this slug.")
        parser.add_argument(
            "--project", help="The project's slug: for a scoping interview, or when case-study slugs repeat."
        )
        parser.add_argument("--title", help="The title of the interview to create.")
        parser.add_argument("--date", type=datetime.date.fromisoformat, help="The interview's date (YYYY-MM-DD).")
        parser.add_argument(
            "--replace", action="store_true", help="Replace the interview's transcript if it already has one."
        )
        parser.add_argument("--user", help="The username to record as the importer.")

    def handle(self, *args, file: Path, **options) -> None:
        if options["interview"] is not None and (options["title"] or options["case_study"]):
            raise CommandError("Give either --interview, or --title with --case-study or --project; not both.")
        if options["interview"] is None and not options["title"]:
            raise CommandError("Give --interview ID, or --title with --case-study SLUG (or --project SLUG).")
        data = self._read(file)
        imported_by = self._user(options["user"])
        try:
            if options["interview"] is not None:
                interview = self._interview(options["interview"])
                services.import_transcript(
                    interview=interview, name=file.name, data=data, imported_by=imported_by, replace=options["replace"]
                )
            else:
                interview = self._new_interview(options)
                services.create_interview_with_transcript(
                    interview=interview, name=file.name, data=data, imported_by=imported_by
                )
        except ValidationError as error:
            message = " ".join(error.messages)
            if error.code == "would_replace":
                message = "This interview already has a transcript. Add --replace to replace it."
            raise CommandError(message) from None
        self.stdout.write(
            f"Imported “{file.name}” into “{interview.title}” (interview {interview.pk}): "
            f"{describe_transcript(interview.transcript)}."
        )

    def _read(self, file: Path) -> bytes:
        if not file.is_file():
            raise CommandError(f"There is no file at {file}.")
        try:
            check_size(name=file.name, size=file.stat().st_size)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        with file.open("rb") as handle:
            return handle.read(settings.UPLOAD_MAX_BYTES + 1)

    def _user(self, username: str | None):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user “{username}”.") from None

    def _interview(self, pk: int) -> Interview:
        try:
            return Interview.objects.select_related("project", "case_study").get(pk=pk)
        except Interview.DoesNotExist:
            raise CommandError(f"There is no interview with id {pk}.") from None

    def _new_interview(self, options: dict) -> Interview:
        projects = ResearchProject.objects.all()
        if options["project"]:
            projects = projects.filter(slug=options["project"])
            if not projects.exists():
                raise CommandError(f"There is no project “{options['project']}”.")
        if not options["case_study"]:
            if not options["project"]:
                raise CommandError("Give --case-study SLUG, or --project SLUG for a scoping interview.")
            return Interview(
                project=projects.get(), title=options["title"], phase=PhaseKind.SCOPING, date=options["date"]
            )
        case_studies = list(CaseStudy.objects.filter(slug=options["case_study"], project__in=projects))
        if not case_studies:
            raise CommandError(f"There is no case study “{options['case_study']}”.")
        if len(case_studies) > 1:
            raise CommandError(f"Several projects have a case study “{options['case_study']}”: add --project SLUG.")
        case_study = case_studies[0]
        return Interview(
            project=case_study.project,
            case_study=case_study,
            title=options["title"],
            phase=PhaseKind.CASE_STUDY,
            date=options["date"],
        )
