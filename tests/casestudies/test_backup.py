"""backup_project and restore_project: a round trip brings back every row of every model."""

import io
import json
import re
import zipfile

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from casestudies.backup import ID_LISTS, _ordered, collect
from casestudies.models import ResearchProject
from tests import factories as f


def remove_project(project):
    """Removes every row of the project, last-referenced first (projects are never deleted in the app)."""
    rows = collect(project)
    for model in reversed(_ordered(list(rows))):
        for field in model._meta.many_to_many:
            if field.remote_field.through._meta.auto_created:
                links = field.remote_field.through._base_manager.filter(
                    **{f"{field.m2m_field_name()}__in": rows[model]}
                )
                links._raw_delete(links.db)
        queryset = model._base_manager.filter(pk__in=rows[model])
        queryset._raw_delete(queryset.db)


def millis(fields):
    """Django's JSON serializer writes times to the millisecond: ``…:07.000Z`` and ``…:07Z`` are one time."""
    return {k: v.replace(".000Z", "Z") if isinstance(v, str) and v.endswith(".000Z") else v for k, v in fields.items()}


def rows_in(path):
    """Every row of the backup, by model label: {old pk: fields}."""
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        return manifest, {
            label: {
                row["pk"]: row["fields"]
                for row in map(json.loads, archive.read(f"{label}.jsonl").decode().splitlines())
            }
            for label in manifest["models"]
        }


def mapped(fields, model, mapping):
    """``fields`` of a backed-up row with every reference to a project row turned into the restored pk."""
    out = {}
    for name, value in fields.items():
        field = model._meta.get_field(name)
        target = getattr(field, "related_model", None)
        natural = not field.many_to_many and isinstance(value, list)
        history = model.__name__.startswith("Historical")
        if value is not None and target in mapping and not natural and history and value not in mapping[target]:
            value = None  # history names what was deleted before the backup: nothing here
        elif value is not None and target in mapping and not natural:
            value = sorted(mapping[target][v] for v in value) if field.many_to_many else mapping[target][value]
        elif field.many_to_many and value is not None:
            value = sorted(value)
        out[name] = value
    if "object_id" in out and "content_type" in out:
        ct_model = apps.get_model(*out["content_type"])
        out["object_id"] = mapping.get(ct_model, {}).get(out["object_id"], out["object_id"])
    original = getattr(model, "instance_type", None) if model.__name__.startswith("Historical") else None
    if original is not None and "id" in out:  # a history row names its object by the object's id
        out["id"] = mapping.get(original, {}).get(out["id"], out["id"])
    if model is ResearchProject:
        out.pop("slug")
    for field, key, label in ID_LISTS.get(model._meta.label, []):
        target = mapping.get(apps.get_model(label), {})
        holder, name = (out[field], key) if key else (out, field)
        if isinstance(holder, dict) and isinstance(holder.get(name), list):
            holder[name] = [target[v] for v in holder[name] if v in target]
    return out


def test_round_trip_brings_back_every_row_of_every_model(demo_project, tmp_path):
    _more_of_every_app(demo_project)
    path = tmp_path / "partnership.zip"
    before = {m: len(pks) for m, pks in collect(demo_project).items()}
    out = io.StringIO()
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=out)
    assert "rows of" in out.getvalue()
    manifest, backed_up = rows_in(path)
    assert manifest["counts"] == {m._meta.label_lower: n for m, n in before.items()}
    for label in ("coding.excerpt", "coding.code", "casestudies.participant", "casestudies.interview"):
        assert manifest["counts"][label] > 0
    users_before = {u.username: (u.first_name, u.last_name, u.email) for u in get_user_model().objects.all()}

    remove_project(demo_project)
    assert not ResearchProject.objects.filter(slug="partnership").exists()

    from casestudies.backup import restore_backup

    project, mapping = restore_backup(path)
    assert project.slug == "partnership"
    from django.core import serializers

    compared = 0
    for label, rows in backed_up.items():
        model = apps.get_model(label)
        restored = {
            row["pk"]: row["fields"]
            for row in json.loads(
                serializers.serialize(
                    "json", model._base_manager.filter(pk__in=mapping[model].values()), use_natural_foreign_keys=True
                )
            )
        }
        assert len(restored) == len(set(mapping[model].values())), label
        for old_pk, fields in rows.items():
            new = restored[mapping[model][old_pk]]
            expected = mapped(fields, model, mapping)
            got = {
                k: sorted(v) if isinstance(v, list) and model._meta.get_field(k).many_to_many else v
                for k, v in new.items()
            }
            if model is ResearchProject:
                got.pop("slug")
            assert millis(got) == millis(expected), (label, old_pk)
            compared += 1
    assert compared == sum(before.values())
    assert {u.username: (u.first_name, u.last_name, u.email) for u in get_user_model().objects.all()} == users_before


def test_restore_into_a_new_site_creates_users_by_username(demo_project, tmp_path):
    path = tmp_path / "p.zip"
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=io.StringIO())
    usernames = set(
        get_user_model().objects.filter(project_memberships__project=demo_project).values_list("username", flat=True)
    )
    remove_project(demo_project)
    from coding.models import Excerpt

    assert not Excerpt.objects.exists()
    gone = get_user_model().objects.filter(username__in=usernames, excerpts__isnull=True)
    gone_names = set(gone.values_list("username", flat=True))
    assert gone_names
    gone.delete()
    call_command("restore_project", str(path), "--as", "copy", stdout=io.StringIO())
    project = ResearchProject.objects.get(slug="copy")
    restored_users = set(
        get_user_model().objects.filter(project_memberships__project=project).values_list("username", flat=True)
    )
    assert restored_users == usernames
    recreated = get_user_model().objects.filter(username__in=gone_names)
    assert len(recreated) == len(gone_names)
    assert not any(u.has_usable_password() for u in recreated)


def test_restore_refuses_an_existing_slug_and_writes_nothing(demo_project, tmp_path):
    path = tmp_path / "p.zip"
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=io.StringIO())
    counts = {m: m._base_manager.count() for m in apps.get_models()}
    with pytest.raises(CommandError, match="slug 'partnership' already exists"):
        call_command("restore_project", str(path), stdout=io.StringIO())
    assert {m: m._base_manager.count() for m in apps.get_models()} == counts


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    path = tmp_path / "junk.zip"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(CommandError, match="nothing restored: not a project backup"):
        call_command("restore_project", str(path), stdout=io.StringIO())
    assert not ResearchProject.objects.exists()


def test_backup_of_an_unknown_project_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="no project with the slug 'nope'"):
        call_command("backup_project", "--project", "nope", "--out", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


# --- Every app, copies beside their original, tampered and oversized files ------------------------------------


def _more_of_every_app(project):
    """Rows of the apps a project's backup must cover besides the records: a code merge (with its id lists), an
    invitation, account events, an Activity visit, a rejected suggestion and a build that names what it quotes."""
    from accounts.services import invite_member
    from coding.models import Code, Excerpt
    from coding.services import merge_codes
    from history.models import ActivityVisit
    from reports.models import PaperBuild, WorkingPaper
    from suggestions.models import RejectedSuggestion

    lead = get_user_model().objects.get(username="lead")
    codes = list(Code.objects.filter(project=project, excerpt_links__isnull=False).distinct().order_by("pk")[:2])
    merge_codes(source=codes[0], target=codes[1], merged_by=lead)
    invite_member(project=project, email="new@example.org", role="researcher", invited_by=lead)
    ActivityVisit.objects.create(project=project, user=lead, seen_at=timezone.now())
    excerpt = Excerpt.objects.filter(interview__project=project).order_by("pk").first()
    RejectedSuggestion.objects.create(
        interview=excerpt.interview, code=codes[1], start=excerpt.start, end=excerpt.end, rejected_by=lead
    )
    paper = WorkingPaper.objects.filter(project=project).first()
    PaperBuild.objects.create(
        paper=paper,
        format="pdf",
        status="failed",
        error="x",
        quoted_excerpt_ids=[excerpt.pk],
        quoted_participant_ids=[excerpt.interview.participants.first().pk],
        options={"case_study_ids": [excerpt.interview.case_study_id], "question_ids": [], "group_ids": []},
    )


def test_the_backup_covers_every_app_that_holds_project_data_and_a_merge_can_be_undone_after(demo_project, tmp_path):
    from history.models import CodeMerge
    from history.services import undo_merge

    _more_of_every_app(demo_project)
    path = tmp_path / "p.zip"
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=io.StringIO())
    manifest, backed_up = rows_in(path)
    for label in (
        "accounts.invitation",
        "accounts.accountevent",
        "history.codemerge",
        "history.activityvisit",
        "suggestions.rejectedsuggestion",
        "reports.paperbuild",
        "casestudies.speakerturn",
    ):
        assert manifest["counts"].get(label), label
    assert "suggestions.codemodel" not in manifest["models"]

    remove_project(demo_project)
    from casestudies.backup import restore_backup

    project, mapping = restore_backup(path)
    merge = CodeMerge.objects.get(project=project)
    old_merge = next(iter(backed_up["history.codemerge"].values()))
    excerpt_map = mapping[apps.get_model("coding.excerpt")]
    assert merge.moved_excerpt_ids == [excerpt_map[i] for i in old_merge["moved_excerpt_ids"]]
    restored_code = undo_merge(merge=merge, undone_by=get_user_model().objects.get(username="lead"))
    assert restored_code.project == project


def test_restored_as_a_copy_it_sits_beside_its_original_with_new_guids(demo_project, tmp_path):
    from coding.models import Code, Excerpt, Memo

    _more_of_every_app(demo_project)
    path = tmp_path / "p.zip"
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=io.StringIO())
    before = {m: m._base_manager.count() for m in (Code, Excerpt, Memo)}
    original_guids = set(Code.objects.values_list("guid", flat=True)) | set(
        Excerpt.objects.values_list("guid", flat=True)
    )
    out = io.StringIO()
    mapping_file = tmp_path / "mapping.json"
    call_command("restore_project", str(path), "--as", "copy", "--mapping", str(mapping_file), stdout=out)

    copy = ResearchProject.objects.get(slug="copy")
    assert ResearchProject.objects.get(slug="partnership") != copy
    assert {m: m._base_manager.count() for m in (Code, Excerpt, Memo)} == {m: 2 * n for m, n in before.items()}
    copied = set(Code.objects.filter(project=copy).values_list("guid", flat=True)) | set(
        Excerpt.objects.filter(interview__project=copy).values_list("guid", flat=True)
    )
    assert copied and not copied & original_guids
    keys = json.loads(mapping_file.read_text())
    assert len(keys["guids"]) >= len(copied)
    assert "rows of" in out.getvalue() and "new GUIDs" in out.getvalue()
    # A code's history follows it under its new GUID.
    code = Code.objects.filter(project=copy).first()
    assert set(code.history.values_list("guid", flat=True)) == {code.guid}


def _rewrite(path, out, change):
    """A copy of the backup at `path` with `change(name, data) -> data | None` applied to each member."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info.filename, data)


def _counts():
    return {m: m._base_manager.count() for m in apps.get_models()}


def _refused(path, match: str, *options: str) -> None:
    """`restore_project PATH OPTIONS` is refused with a message matching `match`, and writes nothing."""
    counts = _counts()
    with pytest.raises(CommandError, match=match):
        call_command("restore_project", str(path), *options, stdout=io.StringIO())
    assert _counts() == counts


def test_a_tampered_backup_pointing_into_another_project_restores_nothing(demo_project, tmp_path):
    from casestudies.models import Interview

    path, tampered = tmp_path / "p.zip", tmp_path / "tampered.zip"
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=io.StringIO())
    victim = Interview.objects.filter(project=demo_project).order_by("pk")[3]

    def change(name, data):
        if name == "casestudies.interview.jsonl":
            lines = [line for line in data.decode().splitlines() if json.loads(line)["pk"] != victim.pk]
            return "\n".join(lines).encode()
        return data

    _rewrite(path, tampered, change)
    counts = _counts()
    with pytest.raises(CommandError) as refused:
        call_command("restore_project", str(tampered), "--as", "tampered", stdout=io.StringIO())
    message = str(refused.value)
    assert message.startswith("nothing restored: ")
    assert f"points to casestudies.interview {victim.pk}, which is not in the file; nothing was restored" in message
    assert _counts() == counts


def test_a_history_row_naming_a_record_of_this_site_is_refused(demo_project, tmp_path):
    from coding.models import Excerpt

    path, tampered = tmp_path / "p.zip", tmp_path / "tampered.zip"
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=io.StringIO())
    other = f.make_excerpt(f.make_interview(f.make_case_study(f.make_project()), transcript="Ruth: hello there"))

    def change(name, data):
        if name == "coding.historicalexcerpt.jsonl":
            rows = [json.loads(line) for line in data.decode().splitlines()]
            rows[0]["fields"]["id"] = other.pk
            rows[0]["fields"]["interview"] = None
            return "\n".join(json.dumps(row) for row in rows).encode()
        return data

    _rewrite(path, tampered, change)
    _refused(tampered, f"a history row of coding.excerpt {other.pk}, which is not in the file", "--as", "tampered")
    assert Excerpt.objects.get(pk=other.pk).history.count() == other.history.count()


def test_restoring_over_the_original_guids_says_to_use_as(demo_project, tmp_path):
    path = tmp_path / "p.zip"
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=io.StringIO())
    ResearchProject.objects.filter(pk=demo_project.pk).update(slug="renamed")
    _refused(path, "clashes with a record of this site .* restore with --as NEW_SLUG")


def test_an_oversized_member_or_row_is_refused_as_it_is_read(demo_project, tmp_path, monkeypatch):
    from casestudies import backup

    path, padded = tmp_path / "p.zip", tmp_path / "padded.zip"
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=io.StringIO())
    with zipfile.ZipFile(path) as archive:
        longest = max(len(line) for name in archive.namelist() for line in archive.read(name).splitlines())
    monkeypatch.setattr(backup, "MAX_USERS_BYTES", 4096)
    _rewrite(path, padded, lambda name, data: b" " * 5000 + data if name == "users.jsonl" else data)
    _refused(padded, re.escape("users.jsonl is larger than 4,096 bytes"), "--as", "padded")

    monkeypatch.setattr(backup, "MAX_ROW_BYTES", longest + 10)
    pad = b" " * (longest + 100)
    _rewrite(path, padded, lambda name, data: pad + data if name == "casestudies.researchproject.jsonl" else data)
    message = f"casestudies.researchproject.jsonl: line 1 is longer than {longest + 10:,} bytes"
    _refused(padded, re.escape(message), "--as", "padded")


def test_a_row_of_another_model_or_a_member_of_another_app_is_refused(demo_project, tmp_path):
    path, odd = tmp_path / "p.zip", tmp_path / "odd.zip"
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=io.StringIO())

    def change(name, data):
        if name == "coding.code.jsonl":
            row = {"model": "auth.user", "pk": 1, "fields": {"username": "x", "is_superuser": True}}
            return json.dumps(row).encode()
        return data

    _rewrite(path, odd, change)
    with pytest.raises(CommandError, match="coding.code.jsonl: row 1 is a auth.user, not a coding.code"):
        call_command("restore_project", str(odd), "--as", "odd", stdout=io.StringIO())

    def add_model(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["models"].append("auth.user")
            return json.dumps(manifest).encode()
        return data

    _rewrite(path, odd, add_model)
    with pytest.raises(CommandError, match="auth.user is not part of a project backup"):
        call_command("restore_project", str(odd), "--as", "odd", stdout=io.StringIO())
    assert not ResearchProject.objects.filter(slug="odd").exists()
    assert not get_user_model().objects.filter(username="x").exists()


def test_a_user_named_by_id_rather_than_username_is_refused(demo_project, tmp_path):
    path, odd = tmp_path / "p.zip", tmp_path / "odd.zip"
    call_command("backup_project", "--project", "partnership", "--out", str(path), stdout=io.StringIO())
    admin = get_user_model().objects.get(username="admin")

    def change(name, data):
        if name == "coding.excerpt.jsonl":
            rows = [json.loads(line) for line in data.decode().splitlines()]
            rows[0]["fields"]["coded_by"] = admin.pk
            return "\n".join(json.dumps(row) for row in rows).encode()
        return data

    _rewrite(path, odd, change)
    _refused(odd, f"a user is named by {admin.pk}, not by a username", "--as", "odd")
