"""backup_project and restore_project: a round trip brings back every row of every model."""

import io
import json
import zipfile

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from casestudies.backup import _ordered, collect
from casestudies.models import ResearchProject


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
            label: {row["pk"]: row["fields"] for row in json.loads(archive.read(f"{label}.json"))}
            for label in manifest["models"]
        }


def mapped(fields, model, mapping):
    """``fields`` of a backed-up row with every reference to a project row turned into the restored pk."""
    out = {}
    for name, value in fields.items():
        field = model._meta.get_field(name)
        target = getattr(field, "related_model", None)
        natural = not field.many_to_many and isinstance(value, list)
        if value is not None and target in mapping and not natural:
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
    return out


def test_round_trip_brings_back_every_row_of_every_model(demo_project, tmp_path):
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
