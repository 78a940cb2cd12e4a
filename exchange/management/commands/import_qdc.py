from exchange.importing import import_codebook

from ._exchange import ImportCommand


class Command(ImportCommand):
    help = "Import a REFI-QDA codebook (.qdc): codes are matched by GUID, then by name in the same parent."
    file_kind = ".qdc"
    importer = staticmethod(import_codebook)
