from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casestudies.models import Interview
from coding.models import Code, Excerpt
from tests.factories import make_lead, make_project

from . import fixtures as f
from .helpers import NS, assert_valid, make_qdpx, record_counts, unzip


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_export_qdpx_writes_the_whole_project(coded_project, tmp_path):
    out = tmp_path / "partnership.qdpx"
    printed = _call("export_qdpx", "--project", coded_project["project"].slug, "--out", str(out))
    assert printed.startswith(f"Wrote {out} (")
    root = assert_valid(unzip(out.read_bytes())["project.qde"], "Project-mrt2019.xsd")
    assert len(root.findall(".//q:PlainTextSelection", NS)) == 5


def test_export_qdc_writes_the_codebook(coded_project, tmp_path):
    out = tmp_path / "codes.qdc"
    _call("export_qdc", "--project", coded_project["project"].slug, "--out", str(out))
    root = assert_valid(out.read_bytes(), "Codebook-mrt2019.xsd")
    assert len(root.findall(".//c:Code", NS)) == 7


def test_export_qdc_refuses_an_empty_codebook(db, tmp_path):
    project = make_project(slug="empty")
    with pytest.raises(CommandError, match="^The project has no codes yet, so there is no codebook to export.$"):
        _call("export_qdc", "--project", project.slug, "--out", str(tmp_path / "x.qdc"))
    assert not (tmp_path / "x.qdc").exists()


def test_exporting_an_unknown_project_says_so(db, tmp_path):
    with pytest.raises(CommandError, match="^There is no project with the slug “nope”.$"):
        _call("export_qdpx", "--project", "nope", "--out", str(tmp_path / "x.qdpx"))


def test_import_qdpx_prints_the_report(db, tmp_path):
    project = make_project(slug="target")
    make_lead(project, username="ruth", first_name="Ruth", last_name="Ellis")
    path = tmp_path / "riverside.qdpx"
    path.write_bytes(f.nvivo_like_qdpx())
    printed = _call("import_qdpx", str(path), "--project", "target", "--user", "ruth")
    assert printed.splitlines()[0] == "Imported riverside.qdpx (from NVivo for Windows 12.6)."
    assert "  Excerpts: 5 new, 0 matched" in printed
    assert "  - “Ruth Ellis” → the existing account “Ruth Ellis”." in printed
    assert Excerpt.objects.filter(interview__project=project).count() == 5


def test_import_qdpx_refuses_with_the_reason_and_a_non_zero_exit(db, tmp_path):
    project = make_project(slug="target")
    path = tmp_path / "broken.qdpx"
    path.write_bytes(make_qdpx(f.nvivo_like_project()))
    before = record_counts()
    with pytest.raises(CommandError) as error:
        _call("import_qdpx", str(path), "--project", project.slug)
    assert str(error.value) == (
        f"Source “Interview with Ruth” (GUID {f.SOURCE}): its text file “internal://{f.SOURCE_FILE}” "
        "is not in the archive. Nothing was imported."
    )
    assert record_counts() == before
    assert not Interview.objects.exists()


def test_import_qdc_merges_the_codebook(db, tmp_path):
    project = make_project(slug="target")
    path = tmp_path / "codes.qdc"
    path.write_text(
        f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="{f.TRUST}" name="Trust" isCodable="true">'
        f'<Code guid="{f.CONFLICT}" name="Betrayal" isCodable="true"/></Code></Codes></CodeBook>'
    )
    printed = _call("import_qdc", str(path), "--project", "target")
    assert "  Codes: 2 new, 0 matched" in printed
    assert Code.objects.get(project=project, name="Betrayal").parent.name == "Trust"


def test_import_qdc_refuses_malformed_xml(db, tmp_path):
    make_project(slug="target")
    path = tmp_path / "codes.qdc"
    path.write_text("<CodeBook><Codes>")
    with pytest.raises(CommandError) as error:
        _call("import_qdc", str(path), "--project", "target")
    assert (
        str(error.value)
        == "“codes.qdc” is not well-formed XML: no element found: line 1, column 17. Nothing was imported."
    )
    assert not Code.objects.exists()


def test_importing_a_missing_file_or_for_an_unknown_user_says_so(db, tmp_path):
    make_project(slug="target")
    with pytest.raises(CommandError, match="^There is no file “missing.qdpx”.$"):
        _call("import_qdpx", "missing.qdpx", "--project", "target")
    path = tmp_path / "x.qdc"
    path.write_text("<CodeBook/>")
    with pytest.raises(CommandError, match="^There is no user “ghost”.$"):
        _call("import_qdc", str(path), "--project", "target", "--user", "ghost")
