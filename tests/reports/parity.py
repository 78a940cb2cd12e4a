"""What the Word file and the PDF of one paper say differently: nothing, when the Word file is on a par."""

from __future__ import annotations

import re


def squashed(text: str) -> str:
    return re.sub(r"[\s\u00ad]+", "", text)


def differences(word, pdf) -> tuple[list[str], list[str]]:
    """The Word paragraphs and table cells not in the PDF, and the PDF's lines not in the Word file (but the running
    footers, the pages of contents and the list bullets and numbers, which Word draws itself)."""
    pages = []
    for page in pdf.pages:
        lines = page.extract_text().split("\n")
        if len(lines) >= 2 and re.fullmatch(r"Page \d+ of \d+", lines[-1].strip()):
            lines = lines[:-2]
        pages.append(lines)
    pdf_text = squashed("".join(line for lines in pages for line in lines if not _drawn_by_word(line)))
    word_texts = [p.text for p in word.paragraphs] + [
        cell.text for table in word.tables for row in table.rows for cell in row.cells
    ]
    not_in_pdf = [text for text in word_texts if text.strip() and squashed(text) not in pdf_text]
    word_text = squashed("".join(word_texts))
    not_in_word = [
        line
        for lines in pages
        if not any(". . ." in line for line in lines)
        for line in lines
        if not _drawn_by_word(line) and squashed(line) not in word_text
    ]
    return not_in_pdf, not_in_word


def _drawn_by_word(line: str) -> bool:
    """A list's bullet or number, which the PDF's text gives apart from its item (and Word draws itself)."""
    return line.strip() in {"", "•"} or bool(re.fullmatch(r"\d+\.", line.strip()))
