"""One project to one file and back: everything reachable from the project through foreign keys.

The file is a zip holding ``manifest.json`` (format, slug, the models and row counts), ``users.jsonl``
(usernames, names and e-mail of everyone the project's rows refer to, never passwords) and one JSON Lines file per
model, one row a line as Django's serializers write it, users referred to by username (natural keys).

Which rows belong to a project is found generically: starting from the project, a row of a model in one of the
project's apps belongs when one of its foreign keys points at a row that belongs (repeated until nothing more is
found); tagged items follow their generic relation; tags come with the items that use them. Every model whose name
starts with ``Historical`` (change history) is found the same way. Code models (`suggestions.CodeModel`) are left
out: they are derived from the coding, and a pickled model read from a file would be code run on the server; the
restored project's is trained again by the worker.

Restoring is all or nothing, in one transaction:

- every row gets a new primary key (so that a project can come back into a site that holds others) and every
  reference is rewritten through the mapping, the id lists some rows keep in JSON (`ID_LISTS`) included;
- every foreign key in the file must point to a row of the file itself, or to a user (matched by username, created
  without a usable password when the site has none) or a content type; otherwise nothing is restored, and the
  message names the row. A history row may name an object that was deleted before the backup, but never one that
  exists in this site;
- restored ``--as`` a new slug, every GUID (codes, excerpts, memos, and their history) is new too, one new GUID for
  each old one, so that the copy sits beside its original;
- the archive is read with the same bounds as a REFI-QDA import (`exchange.reading.Archive`: entry count, names,
  what it expands to, counted as it expands), one row at a time: a row longer than MAX_ROW_BYTES, or a file larger
  than MAX_BACKUP_BYTES or expanding past MAX_EXPANDED_BYTES, is refused before it fills the memory. Files of the
  first format (``/1``, one JSON array a model) are still read, each member at most MAX_V1_MEMBER_BYTES.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterator

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from taggit.models import TagBase

from casestudies.models import ResearchProject

FORMAT = "partnership-project-backup/2"
FORMAT_V1 = "partnership-project-backup/1"
PROJECT_APPS = ("casestudies", "coding", "analysis", "reports", "exchange", "accounts", "history", "suggestions")
# Derived data never written to a backup (see above).
LEFT_OUT = ("suggestions.CodeModel",)
TAG_APPS = ("taggit",)
USER_FIELDS = ("username", "first_name", "last_name", "email")
# Ids some rows keep in JSON rather than as foreign keys: model, field (and key within it), the model they name.
ID_LISTS: dict[str, list[tuple[str, str | None, str]]] = {
    "history.CodeMerge": [
        ("moved_excerpt_ids", None, "coding.Excerpt"),
        ("shared_excerpt_ids", None, "coding.Excerpt"),
        ("moved_child_ids", None, "coding.Code"),
        ("moved_memo_ids", None, "coding.Memo"),
        ("added_question_ids", None, "casestudies.ResearchQuestion"),
        ("source_question_ids", None, "casestudies.ResearchQuestion"),
    ],
    "reports.PaperBuild": [
        ("quoted_excerpt_ids", None, "coding.Excerpt"),
        ("quoted_participant_ids", None, "casestudies.Participant"),
        ("options", "case_study_ids", "casestudies.CaseStudy"),
        ("options", "group_ids", "casestudies.QuestionGroup"),
        ("options", "question_ids", "casestudies.ResearchQuestion"),
    ],
}
# Bounds on what restore reads, whatever the file claims.
MAX_BACKUP_BYTES = 2 * 1024**3
MAX_EXPANDED_BYTES = 8 * 1024**3
MAX_ENTRIES = 1_000
MAX_ROW_BYTES = 64 * 1024**2
MAX_USERS_BYTES = 64 * 1024**2
MAX_MANIFEST_BYTES = 1024**2
MAX_V1_MEMBER_BYTES = 256 * 1024**2


class BackupError(Exception):
    """A backup that cannot be written or restored; the message says why."""


def _project_models() -> list[type[models.Model]]:
    return [
        m
        for app in PROJECT_APPS
        if apps.is_installed(app)
        for m in apps.get_app_config(app).get_models()
        if m._meta.label not in LEFT_OUT
    ]


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
        with archive.open("users.jsonl", "w", force_zip64=True) as member:
            _write_lines(member, serializers.serialize("python", users, fields=USER_FIELDS))
        order = _ordered(list(rows))
        for model in order:
            label = model._meta.label_lower
            pks = sorted(rows[model])
            with archive.open(f"{label}.jsonl", "w", force_zip64=True) as member:
                for start in range(0, len(pks), 500):
                    queryset = model._base_manager.filter(pk__in=pks[start : start + 500]).order_by("pk")
                    _write_lines(member, serializers.serialize("python", queryset, use_natural_foreign_keys=True))
            counts[label] = len(pks)
        manifest = {
            "format": FORMAT,
            "slug": project.slug,
            "models": [m._meta.label_lower for m in order],
            "counts": counts,
            "users": users.count(),
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return counts


def _write_lines(member, rows: list[dict]) -> None:
    for row in rows:
        member.write(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False).encode("utf-8") + b"\n")


@contextlib.contextmanager
def _open(path) -> Iterator:
    """The backup's zip, opened with the REFI-QDA import's bounds."""
    from exchange.reading import Archive, RefusedFile

    if os.path.getsize(path) > MAX_BACKUP_BYTES:
        raise BackupError(f"the backup is larger than {MAX_BACKUP_BYTES:,} bytes")
    with open(path, "rb") as stream:
        try:
            archive = Archive(stream, label=os.path.basename(str(path)), limit=MAX_EXPANDED_BYTES)
        except RefusedFile as exc:
            raise BackupError(f"not a project backup: {exc.messages[0]}") from exc
        with archive.zip:
            yield archive


def _chunks(archive, name: str, limit: int | None = None) -> Iterator[bytes]:
    from exchange.reading import RefusedFile

    if name not in archive.entries:
        raise BackupError(f"the backup has no {name}")
    try:
        yield from archive.chunks(name, limit=limit, too_big=f"{name} is larger than {limit or 0:,} bytes")
    except RefusedFile as exc:
        raise BackupError(exc.messages[0]) from exc


def _json(data: bytes, what: str):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BackupError(f"{what} cannot be read: {exc}") from exc


def _rows(archive, name: str, *, label: str, version: str, limit: int | None = None) -> Iterator[dict]:
    """The rows of one member: one JSON object a line (format 2), or one JSON array (format 1), each checked to be a
    serialized row."""
    if version == FORMAT_V1:
        data = _json(b"".join(_chunks(archive, name, limit or MAX_V1_MEMBER_BYTES)), name)
        rows = data if isinstance(data, list) else None
        if rows is None:
            raise BackupError(f"{name} is not a list of rows")
        for number, row in enumerate(rows, 1):
            yield _checked(row, name, number, label)
        return
    pending = bytearray()
    number = 0
    for chunk in _chunks(archive, name, limit):
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            pending += chunk[start:end]
            start = end + 1
            number += 1
            if len(pending) > MAX_ROW_BYTES:
                raise BackupError(f"{name}: line {number} is longer than {MAX_ROW_BYTES:,} bytes")
            if pending.strip():
                yield _checked(_json(bytes(pending), f"{name}, line {number}"), name, number, label)
            pending.clear()
        pending += chunk[start:]
        if len(pending) > MAX_ROW_BYTES:
            raise BackupError(f"{name}: line {number + 1} is longer than {MAX_ROW_BYTES:,} bytes")
    if pending.strip():
        yield _checked(_json(bytes(pending), f"{name}, line {number + 1}"), name, number + 1, label)


def _checked(row, name: str, number: int, label: str) -> dict:
    if not (isinstance(row, dict) and isinstance(row.get("model"), str) and isinstance(row.get("fields"), dict)):
        raise BackupError(f"{name}: row {number} is not a serialized record")
    if row["model"].lower() != label:
        raise BackupError(f"{name}: row {number} is a {row['model']}, not a {label}")
    return row


def _manifest(archive) -> dict:
    manifest = _json(b"".join(_chunks(archive, "manifest.json", MAX_MANIFEST_BYTES)), "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") not in (FORMAT, FORMAT_V1):
        raise BackupError(f"not a project backup of format {FORMAT}")
    labels = manifest.get("models")
    if not (isinstance(labels, list) and all(isinstance(label, str) for label in labels)):
        raise BackupError("the manifest names no models")
    if not isinstance(manifest.get("slug"), str):
        raise BackupError("the manifest names no project")
    return manifest


def _label(model) -> str:
    return model._meta.label_lower


class _Restore:
    """One restore: the mapping of old keys to new, and the rules every row is held to."""

    def __init__(self, manifest: dict, *, slug: str, new_guids: bool) -> None:
        self.manifest = manifest
        self.in_file = set(manifest["models"])
        self.slug = slug
        self.new_guids = new_guids
        self.mapping: dict[type, dict] = defaultdict(dict)
        self.guids: dict[uuid.UUID, uuid.UUID] = {}
        self.deferred: list = []
        self.id_lists: list = []
        self.history_ids_checked: dict[tuple[type, int], bool] = {}
        self.user_ids: dict[str, int] = {}
        self.row = ""

    def refuse(self, message: str):
        raise BackupError(f"{self.row}: {message}; nothing was restored")

    def user(self, item) -> None:
        User = get_user_model()
        username = item["fields"].get("username")
        if not isinstance(username, str) or not username:
            self.refuse("a user without a username")
        if not User.objects.filter(username=username).exists():
            user = User(**{f: str(item["fields"].get(f) or "")[:254] for f in USER_FIELDS})
            user.username = username[:150]
            user.set_unusable_password()
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as exc:
                self.refuse(f"the user cannot be created ({'; '.join(exc.messages)})")
            user.save()

    def _user_id(self, natural_key) -> int:
        """A user's pk from the username the file names it by, looked up once a restore."""
        if not (isinstance(natural_key, list) and len(natural_key) == 1 and isinstance(natural_key[0], str)):
            self.refuse(f"a user is named by {natural_key!r}, not by a username")
        username = natural_key[0]
        if username not in self.user_ids:
            found = get_user_model()._default_manager.filter(username=username).values_list("pk", flat=True).first()
            if found is None:
                self.refuse(f"it names the user {username!r}, who is neither in the file nor in this site")
            self.user_ids[username] = found
        return self.user_ids[username]

    def _users_by_id(self, model, fields: dict) -> None:
        """The row's references to users, from usernames to this site's ids (one query a user, not a row)."""
        for field in model._meta.get_fields():
            if field.name not in fields or not field.is_relation or not _is_user(field.related_model):
                continue
            value = fields[field.name]
            if field.many_to_many and isinstance(value, list):
                fields[field.name] = [self._user_id(v) for v in value]
            elif value is not None:
                fields[field.name] = self._user_id(value)

    def add(self, model, row: dict) -> None:
        self.row = f"{_label(model)} row {row.get('pk')}"
        self._users_by_id(model, row["fields"])
        try:
            item = next(serializers.deserialize("python", [row], handle_forward_references=True))
        except (serializers.base.DeserializationError, ValueError, TypeError) as exc:
            self.refuse(f"cannot be read ({exc})")
        obj = item.object
        if type(obj) is not model:
            self.refuse(f"is a {_label(type(obj))}")
        old_pk = obj.pk
        if old_pk in self.mapping[model]:
            self.refuse("comes twice")
        history_of = _history_of(model)
        later = {}
        for field in model._meta.concrete_fields:
            if not (field.is_relation and field.many_to_one):
                continue
            target = field.related_model
            if hasattr(target, "natural_key"):
                continue  # users, tags, content types: looked up by natural key as the row was read
            value = getattr(obj, field.attname)
            if value is None:
                continue
            if value in self.mapping[target]:
                setattr(obj, field.attname, self.mapping[target][value])
            elif history_of is not None and field.null:
                # History comes after every other model: what it names and is not restored was deleted before the
                # backup, or is not the project's.
                setattr(obj, field.attname, None)
            elif _label(target) in self.in_file and field.null:
                later[field.attname] = (target, value)  # a row further on (a parent code, say)
                setattr(obj, field.attname, None)
            else:
                self.refuse(f"{field.name} points to {_label(target)} {value}, which is not in the file")
        if _generic_item(model):
            target = obj.content_type.model_class()
            if target is None or obj.object_id not in self.mapping.get(target, {}):
                tagged = f"{obj.content_type.app_label}.{obj.content_type.model} {obj.object_id}"
                self.refuse(f"it tags {tagged}, which is not in the file")
            obj.object_id = self.mapping[target][obj.object_id]
        if issubclass(model, TagBase):
            existing = model._base_manager.filter(name=obj.name).first()
            if existing is not None:
                self.mapping[model][old_pk] = existing.pk
                return
        if model is ResearchProject:
            if self.mapping[ResearchProject]:
                self.refuse("a second project")
            obj.slug = self.slug
        if self.new_guids:
            for field in model._meta.concrete_fields:
                if field.name == "guid" and isinstance(field, models.UUIDField) and obj.guid is not None:
                    obj.guid = self.guids.setdefault(obj.guid, uuid.uuid4())
        obj.pk = None
        if history_of is not None:
            obj.id = self._history_id(history_of, obj.id)
        elif hasattr(obj, "id"):
            obj.id = None
        models.Model.save_base(obj, raw=True, force_insert=True)
        self.mapping[model][old_pk] = obj.pk
        if later:
            self.deferred.append((self.row, obj, later))
        if model._meta.label in ID_LISTS:
            self.id_lists.append((self.row, obj))
        for name, values in item.m2m_data.items():
            field = model._meta.get_field(name)
            target = field.related_model
            if hasattr(target, "natural_key"):
                getattr(obj, name).set(values)
                continue
            unknown = [v for v in values if v not in self.mapping[target]]
            if unknown:
                self.refuse(f"{name} names {_label(target)} {unknown[0]}, which is not in the file")
            getattr(obj, name).set([self.mapping[target][v] for v in values])

    def _history_id(self, original, old_id):
        """A history row names its object by id: the restored object's id, or for an object deleted before the
        backup, the id it had (restoring it from history brings it back under that id), unless a record of this
        site has that id."""
        if old_id in self.mapping[original]:
            return self.mapping[original][old_id]
        key = (original, old_id)
        if key not in self.history_ids_checked:
            self.history_ids_checked[key] = original._base_manager.filter(pk=old_id).exists()
        if self.history_ids_checked[key]:
            self.refuse(
                f"a history row of {_label(original)} {old_id}, which is not in the file but a record of this site"
            )
        return old_id

    def finish(self) -> None:
        for row, obj, later in self.deferred:
            self.row = row
            for attname, (target, value) in later.items():
                if value not in self.mapping[target]:
                    self.refuse(f"{attname} points to {_label(target)} {value}, which is not in the file")
                setattr(obj, attname, self.mapping[target][value])
            models.Model.save_base(obj, raw=True)
        for row, obj in self.id_lists:
            self.row = row
            for field, key, label in ID_LISTS[obj._meta.label]:
                target = self.mapping.get(apps.get_model(label), {})
                value = getattr(obj, field)
                holder, name = (value, key) if key else (obj.__dict__, field)
                if not isinstance(holder, dict) or not isinstance(holder.get(name), list):
                    continue
                # Ids of rows not in the file (deleted since) name nothing here: they are dropped.
                holder[name] = [target[v] for v in holder[name] if isinstance(v, int) and v in target]
            models.Model.save_base(obj, raw=True)


@transaction.atomic
def restore_backup(path, slug: str | None = None) -> tuple[ResearchProject, dict]:
    """Restores the backup at ``path``, as ``slug`` with new GUIDs if given; returns the project and the mapping of
    old to new keys by model (``"guids"``: old GUID to new). All or nothing: a BackupError leaves nothing written."""
    with _open(path) as archive:
        manifest = _manifest(archive)
        version = manifest["format"]
        target_slug = slug or manifest["slug"]
        if ResearchProject.objects.filter(slug=target_slug).exists():
            raise BackupError(f"a project with the slug {target_slug!r} already exists; restore with --as NEW_SLUG")
        restore = _Restore(manifest, slug=target_slug, new_guids=slug is not None)
        users = "users.jsonl" if version == FORMAT else "users.json"
        user_label = _label(get_user_model())
        for row in _rows(archive, users, label=user_label, version=version, limit=MAX_USERS_BYTES):
            restore.row = f"{users}, user {row.get('pk')}"
            restore.user(row)
        for label in manifest["models"]:
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError) as exc:
                raise BackupError(f"this site has no model {label}") from exc
            if (
                model._meta.label in LEFT_OUT
                or _is_user(model)
                or model._meta.app_label not in (*PROJECT_APPS, *TAG_APPS)
            ):
                raise BackupError(f"{label} is not part of a project backup")
            member = f"{label}.jsonl" if version == FORMAT else f"{label}.json"
            try:
                for row in _rows(archive, member, label=label, version=version):
                    restore.add(model, row)
            except IntegrityError as exc:
                hint = "" if slug else "; restore with --as NEW_SLUG to give the copy new GUIDs"
                raise BackupError(f"{restore.row} clashes with a record of this site ({_one_line(exc)}){hint}") from exc
        try:
            restore.finish()
        except IntegrityError as exc:
            raise BackupError(f"{restore.row} clashes with a record of this site ({_one_line(exc)})") from exc
    if len(restore.mapping[ResearchProject]) != 1:
        raise BackupError("the backup holds no project")
    project = ResearchProject.objects.get(pk=next(iter(restore.mapping[ResearchProject].values())))
    from suggestions.services import retrain_later

    retrain_later(project)
    mapping = dict(restore.mapping)
    return project, {**mapping, "guids": restore.guids}


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def mapping_as_json(mapping: dict) -> str:
    """The mapping `restore_backup` returns, as JSON: {model label: {old: new}, "guids": {old: new}}."""
    out = {}
    for key, pairs in mapping.items():
        name = key if isinstance(key, str) else _label(key)
        out[name] = {str(old): str(new) for old, new in pairs.items()}
    return json.dumps(out, indent=1, sort_keys=True)
