from django.core.management.base import BaseCommand, CommandError

from casestudies.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restores a project from a backup_project file into this site (users matched by username)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file")
        parser.add_argument("--as", dest="slug", help="restore under this slug instead of the original one")

    def handle(self, *args, file, slug, **options):
        try:
            project, mapping = restore_backup(file, slug)
        except (OSError, BackupError) as exc:
            raise CommandError(f"nothing restored: {exc}") from exc
        rows = sum(len(m) for m in mapping.values())
        self.stdout.write(f"{project.slug}: {rows:,} rows of {len(mapping)} models restored")
