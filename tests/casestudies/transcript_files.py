"""Transcript files made in the tests, each written with a library that writes its format."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# Two speakers, a name outside ASCII, a dash, an accent, and (where the format's fonts allow) an emoji.
TURNS = [
    "Interviewer: How did the partnership with the council start?",
    "Siân: With a phone call, really — in the café on Dale Street. 🙂",
    "Interviewer: And then?",
    "Siân: Then it grew.",
]
CANONICAL = "\n\n".join(TURNS)
TURNS_WITHOUT_EMOJI = [turn.replace(" 🙂", "") for turn in TURNS]


def docx_file(paragraphs: list[str], *, heading: str = "", table_rows: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    if heading:
        document.add_heading(heading, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
        document.add_paragraph("")  # the blank paragraph typists put between turns
    if table_rows:
        table = document.add_table(rows=len(table_rows), cols=len(table_rows[0]))
        for row, values in zip(table.rows, table_rows, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_with_tracked_insertion() -> bytes:
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    paragraph = document.add_paragraph("Interviewer: How did it start?")
    insertion = OxmlElement("w:ins")
    insertion.set(qn("w:id"), "1")
    insertion.set(qn("w:author"), "Editor")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = " (added later)"
    run.append(text)
    insertion.append(run)
    paragraph._p.append(insertion)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def encrypted_docx(paragraphs: list[str], password: str = "secret") -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(docx_file(paragraphs))).encrypt(password, encrypted)
    return encrypted.getvalue()


def odt_file(paragraphs: list[str], *, heading: str = "") -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    if heading:
        document.text.addElement(H(outlinelevel=1, text=heading))
    for paragraph in paragraphs:
        document.text.addElement(P(text=paragraph))
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def rewrite_zip(data: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The same ZIP-based document with some entries replaced or added."""
    replace, add = replace or {}, add or {}
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, replace.get(info.filename, source.read(info.filename)))
        for name, content in add.items():
            target.writestr(name, content)
    return output.getvalue()


def encrypted_odt(paragraphs: list[str]) -> bytes:
    """An .odt as LibreOffice saves one with a password: content.xml encrypted, the manifest saying how."""
    import os

    from lxml import etree

    data = odt_file(paragraphs)
    manifest_ns = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = etree.fromstring(archive.read("META-INF/manifest.xml"))
    for entry in manifest.iter(f"{{{manifest_ns}}}file-entry"):
        if entry.get(f"{{{manifest_ns}}}full-path") == "content.xml":
            encryption = etree.SubElement(entry, f"{{{manifest_ns}}}encryption-data")
            encryption.set(
                f"{{{manifest_ns}}}checksum-type", "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k"
            )
            encryption.set(f"{{{manifest_ns}}}checksum", "AAAA")
            algorithm = etree.SubElement(encryption, f"{{{manifest_ns}}}algorithm")
            algorithm.set(f"{{{manifest_ns}}}algorithm-name", "http://www.w3.org/2001/04/xmlenc#aes256-cbc")
    return rewrite_zip(
        data, replace={"content.xml": os.urandom(2048), "META-INF/manifest.xml": etree.tostring(manifest)}
    )


def pdf_file(paragraphs: list[str], *, running_header: str = "") -> bytes:
    """A PDF laid out as a word processor exports a transcript: wrapped lines, a gap between paragraphs, page
    numbers in the footer, and optionally a running header."""
    from fpdf import FPDF

    class Transcript(FPDF):
        def header(self) -> None:
            if running_header:
                self.cell(0, 10, running_header, align="C", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-15)
            self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Transcript(format="A4")
    pdf.add_font("DejaVu", fname=str(DEJAVU))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    for paragraph in paragraphs:
        pdf.multi_cell(0, 5, paragraph, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return bytes(pdf.output())


def pdf_image_only() -> bytes:
    """A 'scanned' PDF: a page that is one picture, with no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (800, 400), "white")
    ImageDraw.Draw(picture).text((20, 20), "Interviewer: How did it start?", fill="black")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(picture, x=10, y=10, w=190)
    return bytes(pdf.output())


def encrypted_pdf(paragraphs: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-secret", user_password="reader-secret")
    pdf.add_page()
    pdf.add_font("DejaVu", fname=str(DEJAVU))
    pdf.set_font("DejaVu", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 5, paragraph, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def rtf_file(paragraphs: list[str]) -> bytes:
    import rtfunicode  # noqa: F401 — registers the "rtfunicode" codec

    body = "".join("{\\pard " + paragraph.encode("rtfunicode").decode("ascii") + "\\par}\n" for paragraph in paragraphs)
    document = (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Arial;}}"
        "{\\*\\generator Test fixture;}{\\info{\\title Interview}}\n\\f0\\fs22\n" + body + "}"
    )
    return document.encode("ascii")


def html_file(paragraphs: list[str]) -> bytes:
    import lxml.html
    from lxml.html import builder as E

    page = E.HTML(
        E.HEAD(E.META(charset="utf-8"), E.TITLE("Interview transcript"), E.STYLE("p { margin: 0 }")),
        E.BODY(
            E.H1("Interview transcript"),
            *[
                E.P(E.B(paragraph.split(": ", 1)[0] + ":"), " " + paragraph.split(": ", 1)[1])
                for paragraph in paragraphs
            ],
            E.SCRIPT("console.log('not text')"),
        ),
    )
    return lxml.html.tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8")


def vtt_file(cues: list[tuple[str, str, str]]) -> bytes:
    import webvtt

    captions = webvtt.WebVTT()
    for start, end, text in cues:
        captions.captions.append(webvtt.Caption(start, end, text))
    return captions.content.encode("utf-8")


def srt_file(cues: list[tuple[float, float, str]]) -> bytes:
    from datetime import timedelta

    import srt

    subtitles = [
        srt.Subtitle(index=n, start=timedelta(seconds=start), end=timedelta(seconds=end), content=text)
        for n, (start, end, text) in enumerate(cues, start=1)
    ]
    return srt.compose(subtitles).encode("utf-8")
