"""Read-only queries over the codebook and the coding."""

from __future__ import annotations

from casestudies.models import ResearchProject

from .models import Code


def codes_in_tree_order(project: ResearchProject, *, include_archived: bool = True) -> list[tuple[Code, int, str]]:
    """Every code of the project depth-first, with its depth and its path ("Parent › Child"), in one query."""
    codes = Code.objects.filter(project=project)
    if not include_archived:
        codes = codes.filter(is_archived=False)
    by_parent: dict[int | None, list[Code]] = {}
    for code in codes.order_by("order", "name"):
        by_parent.setdefault(code.parent_id, []).append(code)
    ordered: list[tuple[Code, int, str]] = []

    def walk(parent_id: int | None, depth: int, prefix: str) -> None:
        for code in by_parent.get(parent_id, []):
            path = f"{prefix} › {code.name}" if prefix else code.name
            ordered.append((code, depth, path))
            walk(code.pk, depth + 1, path)

    walk(None, 0, "")
    return ordered
