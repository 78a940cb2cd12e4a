"""One project to one file and back: everything reachable from the project through foreign keys.

The file is a zip holding ``manifest.json`` (format, slug, the models and row counts), ``users.json``
(usernames, names and e-mail of everyone the project's rows refer to, never passwords) and one JSON file
per model written with Django's serializers, users referred to by username (natural keys).

Which rows belong to a project is found generically: starting from the project, a row of a model in
one of the project's apps belongs when one of its foreign keys points at a row that belongs (repeated
until nothing more is found); tagged items follow their generic relation; tags come with the items that
use them. Every model whose name starts with ``Historical`` (change history) is found the same way.

Restoring gives every row a new primary key (so that a project can come back into a site that holds
others) and rewrites every reference through the mapping; users are matched by username and created,
without a usable password, when the site has no such user.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import models, transaction
from taggit.models import TagBase

from casestudies.models import ResearchProject

FORMAT = "partnership-project-backup/1"
PROJECT_APPS = ("casestudies", "coding", "analysis", "reports", "exchange")
TAG_APPS = ("taggit",)
USER_FIELDS = ("username", "first_name", "last_name", "email")
# Bounds on what restore reads, whatever the file claims.
MAX_BACKUP_BYTES = 2 * 1024**3
MAX_MEMBER_BYTES = 1024**3


class BackupError(Exception):
    """A backup that cannot be written or restored; the message says why."""


def _project_models() -> list[type[models.Model]]:
    return [m for app in PROJECT_APPS if apps.is_installed(app) for m in apps.get_app_config(app).get_models()]


def _is_user(model) -> bool:
    return model is get_user_model()


def _generic_item(model) -> bool:
    names = {f.name for f in model._meta.get_fields()}
    return {"content_type", "object_id"} <= names


def collect(project: ResearchProject) -> dict[type[models.Model], set]:
    """The primary keys of every row that belongs to ``project``, by model."""
    rows: dict[type[models.Model], set] = defaultdict(set)
    rows[ResearchProject].add(project.pk)
    candidates = [m for m in _project_models() if m is not ResearchProject]
    changed = True
    while changed:
        changed = False
        for model in candidates:
            found = set()
            for field in model._meta.concrete_fields:
                if not field.is_relation or not field.many_to_one:
                    continue
                target = field.related_model
                if target in rows and rows[target]:
                    found |= set(
                        model._base_manager.filter(**{f"{field.attname}__in": rows[target]}).values_list(
                            "pk", flat=True
                        )
                    )
            if _generic_item(model):
                for target, pks in list(rows.items()):
                    content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
                    found |= set(
                        model._base_manager.filter(content_type=content_type, object_id__in=pks).values_list(
                            "pk", flat=True
                        )
                    )
            new = found - rows[model]
            if new:
                rows[model] |= new
                changed = True
    # Tags used by the project's tagged items.
    for model in list(rows):
        if _generic_item(model):
            tag_field = model._meta.get_field("tag")
            rows[tag_field.related_model] |= set(
                model._base_manager.filter(pk__in=rows[model]).values_list("tag_id", flat=True)
            )
    return {m: pks for m, pks in rows.items() if pks}


def _referenced_users(rows) -> set:
    users = set()
    for model, pks in rows.items():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.many_to_one and _is_user(field.related_model):
                users |= set(
                    model._base_manager.filter(pk__in=pks)
                    .exclude(**{field.attname: None})
                    .values_list(field.attname, flat=True)
                )
    return users


def _ordered(models_: list) -> list:
    """Models ordered so that each comes after the models it refers to (self references aside)."""
    remaining = list(models_)
    ordered: list = []
    while remaining:
        for model in remaining:
            needs = {
                f.related_model
                for f in model._meta.concrete_fields
                if f.is_relation and f.many_to_one and f.related_model is not model
            }
            if not (needs & set(remaining)):
                ordered.append(model)
                remaining.remove(model)
                break
        else:  # a cycle: take the first and fix the references after all rows exist
            ordered.append(remaining.pop(0))
    # History rows name their object by id, and tagged items refer to theirs through a generic relation: both after
    # every other model.
    last = [m for m in ordered if _history_of(m) is not None or _generic_item(m)]
    return [m for m in ordered if m not in last] + last


def _history_of(model):
    """The model whose change history ``model`` holds (simple-history's historical models), or None."""
    return getattr(model, "instance_type", None) if model.__name__.startswith("Historical") else None


def write_backup(project: ResearchProject, out) -> dict[str, int]:
    """Writes ``project`` to the binary file ``out``; returns the row count per model."""
    rows = collect(project)
    User = get_user_model()
    users = User.objects.filter(pk__in=_referenced_users(rows)).order_by("username")
    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("users.json", serializers.serialize("json", users, fields=USER_FIELDS))
        order = _ordered(list(rows))
        for model in order:
            label = model._meta.label_lower
            queryset = model._base_manager.filter(pk__in=rows[model]).order_by("pk")
            archive.writestr(f"{label}.json", serializers.serialize("json", queryset, use_natural_foreign_keys=True))
            counts[label] = len(rows[model])
        manifest = {
            "format": FORMAT,
            "slug": project.slug,
            "models": [m._meta.label_lower for m in order],
            "counts": counts,
            "users": users.count(),
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return counts


def _read(archive: zipfile.ZipFile, name: str) -> str:
    try:
        info = archive.getinfo(name)
    except KeyError as exc:
        raise BackupError(f"the backup has no {name}") from exc
    if info.file_size > MAX_MEMBER_BYTES:
        raise BackupError(f"{name} is larger than {MAX_MEMBER_BYTES:,} bytes")
    return archive.read(name).decode("utf-8")


def read_manifest(path) -> dict:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(_read(archive, "manifest.json"))
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"not a project backup: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"not a project backup of format {FORMAT}")
    return manifest


@transaction.atomic
def restore_backup(path, slug: str | None = None) -> tuple[ResearchProject, dict]:
    """Restores the backup at ``path`` (as ``slug`` if given); returns the project and the pk mapping."""
    import os

    if os.path.getsize(path) > MAX_BACKUP_BYTES:
        raise BackupError(f"the backup is larger than {MAX_BACKUP_BYTES:,} bytes")
    manifest = read_manifest(path)
    slug = slug or manifest["slug"]
    if ResearchProject.objects.filter(slug=slug).exists():
        raise BackupError(f"a project with the slug {slug!r} already exists; restore with --as NEW_SLUG")
    User = get_user_model()
    mapping: dict[type, dict] = defaultdict(dict)
    with zipfile.ZipFile(path) as archive:
        try:
            for item in serializers.deserialize("json", _read(archive, "users.json")):
                username = item.object.username
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User(**{f: getattr(item.object, f) for f in USER_FIELDS})
                    user.set_unusable_password()
                    user.save()
            deferred = []
            for label in manifest["models"]:
                try:
                    model = apps.get_model(label)
                except LookupError as exc:
                    raise BackupError(f"this site has no model {label}") from exc
                for item in serializers.deserialize(
                    "json", _read(archive, f"{label}.json"), handle_forward_references=True
                ):
                    obj = item.object
                    old_pk = obj.pk
                    later = {}
                    for field in model._meta.concrete_fields:
                        if not (field.is_relation and field.many_to_one) or hasattr(field.related_model, "natural_key"):
                            continue  # users, tags, content types: looked up by natural key as the file is read
                        value = getattr(obj, field.attname)
                        if (
                            value is None
                            or field.related_model not in mapping
                            and field.related_model._meta.label_lower not in manifest["models"]
                        ):
                            continue
                        target = mapping[field.related_model]
                        if value in target:
                            setattr(obj, field.attname, target[value])
                        elif field.null or not field.db_constraint:
                            later[field.attname] = (field.related_model, value)
                            setattr(obj, field.attname, None) if field.null else None
                    if _generic_item(model):
                        ct = obj.content_type.model_class()
                        obj.object_id = mapping[ct].get(obj.object_id, obj.object_id)
                    if issubclass(model, TagBase):
                        existing = model._base_manager.filter(name=obj.name).first()
                        if existing is not None:
                            mapping[model][old_pk] = existing.pk
                            continue
                    if model is ResearchProject:
                        obj.slug = slug
                    obj.pk = None
                    original = _history_of(model)
                    if original is not None:
                        # A history row names its object by id: the restored object's id, or for an object deleted
                        # before the backup, the id it had (restoring it from history brings it back under that id).
                        obj.id = mapping[original].get(obj.id, obj.id)
                    elif hasattr(obj, "id"):
                        obj.id = None
                    models.Model.save_base(obj, raw=True, force_insert=True)
                    mapping[model][old_pk] = obj.pk
                    if later:
                        deferred.append((obj, later))
                    for name, values in item.m2m_data.items():
                        field = model._meta.get_field(name)
                        target = mapping[field.related_model]
                        getattr(obj, name).set([target.get(v, v) for v in values])
            for obj, later in deferred:
                for attname, (target_model, value) in later.items():
                    setattr(obj, attname, mapping[target_model].get(value, value))
                models.Model.save_base(obj, raw=True)
        except serializers.base.DeserializationError as exc:
            raise BackupError(f"the backup cannot be read: {exc}") from exc
    project = ResearchProject.objects.get(pk=mapping[ResearchProject][next(iter(mapping[ResearchProject]))])
    return project, mapping


def backup_bytes(project: ResearchProject) -> bytes:
    buffer = io.BytesIO()
    write_backup(project, buffer)
    return buffer.getvalue()
