from django.core.management.base import BaseCommand, CommandError

from casestudies.backup import BackupError, write_backup
from casestudies.models import ResearchProject


class Command(BaseCommand):
    help = "Writes everything of one project (records, coding, analysis, papers, history) to one zip file."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="the project's slug")
        parser.add_argument("--out", required=True, help="the file to write (a zip of JSON)")

    def handle(self, *args, project, out, **options):
        found = ResearchProject.objects.filter(slug=project).first()
        if found is None:
            raise CommandError(f"no project with the slug {project!r}")
        try:
            with open(out, "wb") as handle:
                counts = write_backup(found, handle)
        except (OSError, BackupError) as exc:
            raise CommandError(f"cannot write {out}: {exc}") from exc
        self.stdout.write(f"{found.slug}: {sum(counts.values()):,} rows of {len(counts)} models written to {out}")
