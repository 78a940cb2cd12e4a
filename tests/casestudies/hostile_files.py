"""Hostile transcript files, made on demand at any scale: the tests use small ones, bench/hostile_uploads.py large.

Each function returns the bytes of one upload. Sizes are parameters so that a test can make a file that crosses a
limit by a little (and the limit is lowered for it), while the benchmark makes the ones reported from the field.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from tests.casestudies import transcript_files as files

_PIECE = 1024 * 1024


def deflated_zeros(size: int) -> bytes:
    """A raw deflate stream of `size` zero bytes, made a megabyte at a time (deflate packs zeros about 1,000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = bytes(_PIECE)
    pieces = [packer.compress(block) for _ in range(size // _PIECE)]
    pieces.append(packer.compress(bytes(size % _PIECE)))
    pieces.append(packer.flush())
    return b"".join(pieces)


def zip_with_entry(base: bytes, *, name: str, size: int, declared_size: int | None = None) -> bytes:
    """`base` (a ZIP document) with one more deflated entry of `size` zero bytes, declaring `declared_size`.

    With a declared size smaller than the real one, this is the zip bomb whose headers lie: a reader that trusts
    the headers sees a small file, and zipfile inflates up to 1 GB at once before noticing.
    """
    deflated = deflated_zeros(size)
    crc = 0
    zero_block = bytes(_PIECE)
    for _ in range(size // _PIECE):
        crc = zlib.crc32(zero_block, crc)
    crc = zlib.crc32(bytes(size % _PIECE), crc)
    declared = size if declared_size is None else declared_size

    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    central = []
    for info in source.infolist():
        data = source.read(info.filename)
        packed = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body = packed.compress(data) + packed.flush()
        central.append(_write_entry(out, info.filename, body, zlib.crc32(data), len(data), len(data)))
    central.append(_write_entry(out, name, deflated, crc, size, declared))
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _write_entry(out: io.BytesIO, name: str, body: bytes, crc: int, size: int, declared: int) -> bytes:
    encoded = name.encode()
    offset = out.tell()
    out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(body), declared, len(encoded), 0))
    out.write(encoded)
    out.write(body)
    return (
        struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(body),
            declared,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        + encoded
    )


def lying_zip_bomb_docx(size: int, *, declared_size: int = 1000) -> bytes:
    return zip_with_entry(
        files.docx_file(files.TURNS), name="word/media/image1.png", size=size, declared_size=declared_size
    )


def lying_zip_bomb_txt(size: int) -> bytes:
    """A ZIP whose small-looking "mimetype" entry inflates to `size` bytes, uploaded as a .txt file."""
    base = io.BytesIO()
    with zipfile.ZipFile(base, "w") as archive:
        archive.writestr("content.xml", b"<x/>")
    return zip_with_entry(base.getvalue(), name="mimetype", size=size, declared_size=39)


def honest_large_docx(paragraphs: int) -> bytes:
    """A Word document whose document.xml really is large: `paragraphs` turns, each declared honestly."""
    turn = "Interviewer: " + "and then we went back to the council with the figures again " * 4
    body = "".join(f"<w:p><w:r><w:t>{turn}{n}</w:t></w:r></w:p>" for n in range(paragraphs))
    base = files.docx_file(["Q: placeholder"])
    document = zipfile.ZipFile(io.BytesIO(base)).read("word/document.xml").decode()
    start = document.index("<w:body>") + len("<w:body>")
    return files.rewrite_zip(base, replace={"word/document.xml": (document[:start] + body + document[start:]).encode()})


def odt_bomb(size: int, *, declared_size: int | None = None) -> bytes:
    """An OpenDocument text with a content.xml-sized entry of zeros; with declared_size, its headers lie."""
    base = files.odt_file(files.TURNS)
    without = files.rewrite_zip(base, replace={})
    return zip_with_entry(without, name="Pictures/padding.png", size=size, declared_size=declared_size)


def odt_billion_laughs(levels: int = 9) -> bytes:
    """An OpenDocument text whose content.xml defines entities that expand to 10**levels copies of a word."""
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, levels + 1)
    )
    content = (
        f'<?xml version="1.0"?><!DOCTYPE office:document-content [{entities}]>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        f"<text:p>Q: &l{levels};</text:p></office:text></office:body></office:document-content>"
    )
    return files.rewrite_zip(files.odt_file(files.TURNS), replace={"content.xml": content.encode()})


def html_billion_laughs(levels: int = 9) -> bytes:
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, levels + 1)
    )
    return f"<!DOCTYPE html [{entities}]><html><body><p>Q: &l{levels};</p></body></html>".encode()


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _pdf_from_objects(objects: list[bytes]) -> bytes:
    """A PDF file of these objects, numbered from 1 in order, object 1 being the catalog."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _stream(data: bytes, filters: str) -> bytes:
    return b"<< /Length %d /Filter [%s] >>\nstream\n" % (len(data), filters.encode()) + data + b"\nendstream"


def pdf_with_stream(stream: bytes, *, filters: str) -> bytes:
    """A one-page PDF whose content stream is `stream` as given, decoded with `filters` (e.g. "/FlateDecode")."""
    return pdf_of_streams([_stream(stream, filters)])


def pdf_of_streams(streams: list[bytes]) -> bytes:
    """A PDF with one page per content-stream object: 1 catalog, 2 page tree, 3 font, then page and stream pairs."""
    pages = [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
        b"/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * index)
        for index in range(len(streams))
    ]
    kids = b" ".join(b"%d 0 R" % (4 + 2 * index) for index in range(len(streams)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages))]
    objects.append(_FONT)
    for page, stream in zip(pages, streams, strict=True):
        objects += [page, stream]
    return _pdf_from_objects(objects)


def pdf_of_pages(pages: int, *, lines: int = 50) -> bytes:
    """A PDF of `pages` ordinary pages of text: nothing hostile but its length."""
    line = b"(Interviewer: and then we went back to the council with the figures again.) Tj 0 -14 Td "
    content = zlib.compress(b"BT /F1 10 Tf 40 760 Td " + line * lines + b"ET", 9)
    return pdf_of_streams([_stream(content, "/FlateDecode")] * pages)


def pdf_flate_bomb(size: int, *, twice: bool = False) -> bytes:
    """A PDF whose content stream inflates to `size` bytes of spaces; with twice, deflated twice over (smaller)."""
    packer = zlib.compressobj(9)
    block = b" " * _PIECE
    pieces = [packer.compress(block) for _ in range(size // _PIECE)]
    pieces.append(packer.compress(b" " * (size % _PIECE)))
    pieces.append(packer.flush())
    stream = b"".join(pieces)
    if twice:
        return pdf_with_stream(zlib.compress(stream, 9), filters="/FlateDecode /FlateDecode")
    return pdf_with_stream(stream, filters="/FlateDecode")


def pdf_truncated_flate_bomb(size: int) -> bytes:
    """A Flate bomb cut short, so that pdfminer falls back to its byte-at-a-time decoder for damaged streams."""
    packer = zlib.compressobj(9)
    block = b" " * _PIECE
    pieces = [packer.compress(block) for _ in range(max(1, size // _PIECE))]
    pieces.append(packer.flush(zlib.Z_SYNC_FLUSH))  # everything so far, but no final block and no checksum
    stream = b"".join(pieces)
    return pdf_with_stream(stream, filters="/FlateDecode")


def pdf_many_text_operators(count: int) -> bytes:
    """A PDF whose one page shows `count` short strings: bounded in size but slow for pdfminer to lay out."""
    stream = b"BT /F1 10 Tf 20 700 Td " + b"(Q: more words here) Tj 0 -0.01 Td " * count + b"ET"
    return pdf_with_stream(zlib.compress(stream, 9), filters="/FlateDecode")


def markdown_nested_brackets(size: int) -> bytes:
    return (b"Interviewer: " + b"[" * (size // 2) + b"]" * (size // 2)).strip()


def markdown_open_links(count: int) -> bytes:
    return b"Interviewer: " + b"[a](" * count


def markdown_nested_list(levels: int) -> bytes:
    return "\n".join("    " * level + f"- Q: level {level}" for level in range(levels)).encode()


def markdown_nested_quotes(levels: int) -> bytes:
    return b"> " * levels + b"Q: quoted"


def html_nested(levels: int, *, tag: str = "div") -> bytes:
    return (f"<html><body>{f'<{tag}>' * levels}Q: deep{f'</{tag}>' * levels}</body></html>").encode()


def _stamp(seconds: float, separator: str) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}{separator}{int(seconds * 1000) % 1000:03d}"


def vtt_cues(count: int) -> bytes:
    lines = ["WEBVTT", ""]
    for n in range(count):
        lines += [f"{_stamp(n, '.')} --> {_stamp(n + 0.9, '.')}", f"<v Speaker {n % 7}>word {n}", ""]
    return "\n".join(lines).encode()


def srt_cues(count: int) -> bytes:
    lines = []
    for n in range(count):
        lines += [str(n + 1), f"{_stamp(n, ',')} --> {_stamp(n + 0.9, ',')}", f"Speaker {n % 7}: word {n}", ""]
    return "\n".join(lines).encode()


def text_of_length(characters: int) -> bytes:
    line = "Interviewer: and then we went back to the council with the figures again.\n"
    return (line * (characters // len(line) + 1)).encode()


def text_with_many_turns(turns: int) -> bytes:
    return "\n\n".join(f"{'Q' if n % 2 else 'R'}: {n}" for n in range(turns)).encode()


def text_of_distinct_words(words: int) -> bytes:
    """Words of two CJK characters, all different: the text that needs the most search-vector bytes per character."""
    letters = [chr(code) for code in range(0x4E00, 0x9FA5)]
    count = len(letters)
    return " ".join(letters[n % count] + letters[n // count % count] for n in range(words)).encode()


def rtf_nested_groups(levels: int) -> bytes:
    return b"{\\rtf1 " + b"{" * levels + b"Q: deep" + b"}" * levels + b"}"
