from exchange.importing import import_project

from ._exchange import ImportCommand


class Command(ImportCommand):
    help = "Import a REFI-QDA project (.qdpx): codes, sources as interviews, cases, coding and notes."
    file_kind = ".qdpx"
    importer = staticmethod(import_project)
