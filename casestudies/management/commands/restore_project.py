from django.core.management.base import BaseCommand, CommandError

from casestudies.backup import BackupError, mapping_as_json, restore_backup


class Command(BaseCommand):
    help = "Restores a project from a backup_project file into this site (users matched by username)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--as",
            dest="slug",
            help="restore as a copy under this slug, with new GUIDs, beside the original if it is in this site",
        )
        parser.add_argument("--mapping", help="write the old and new keys and GUIDs of every restored row here (JSON)")

    def handle(self, *args, file, slug, mapping=None, **options):
        try:
            project, keys = restore_backup(file, slug)
        except (OSError, BackupError) as exc:
            raise CommandError(f"nothing restored: {exc}") from exc
        guids = keys.pop("guids")
        rows = sum(len(m) for m in keys.values())
        self.stdout.write(f"{project.slug}: {rows:,} rows of {len(keys)} models restored, {len(guids):,} new GUIDs")
        if mapping:
            with open(mapping, "w", encoding="utf-8") as handle:
                handle.write(mapping_as_json({**keys, "guids": guids}))
