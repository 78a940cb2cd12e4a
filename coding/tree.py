"""The codebook as a tree. Every walk of a project's codes (the codebook pages, the pickers, the exports, the
working paper's questions and appendix) goes through `CodeTree`, built once from one query."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from django.db.models import QuerySet

from casestudies.models import ResearchProject

from .models import Code

PATH_SEPARATOR = " › "


def self_and_ancestors(code_id: int, parents: Mapping[int, int | None]) -> Iterator[int]:
    """The code and every code above it, from `parents` (code id → parent id): what a count that rolls sub-codes
    up into their headings counts a passage under."""
    ancestor: int | None = code_id
    while ancestor is not None:
        yield ancestor
        ancestor = parents.get(ancestor)


class CodeTree:
    """Codes arranged under their parents, siblings in the order given (the codebook's: `order`, then name).

    A code whose parent is not among the codes given (an archived parent left out) is left out with it, as the
    codebook shows it: nothing is reachable but from the top of the tree.
    """

    def __init__(self, codes: Iterable[Code]) -> None:
        self._children: dict[int | None, list[Code]] = {}
        for code in codes:
            self._children.setdefault(code.parent_id, []).append(code)
        self._rows: list[tuple[Code, int, str]] = []
        self._walk(None, 0, "")
        self.position = {code.pk: index for index, (code, _, _) in enumerate(self._rows)}

    @classmethod
    def of(cls, project: ResearchProject | int, *, include_archived: bool = True, codes: QuerySet | None = None):
        """The project's codebook in one query (`codes` to add `prefetch_related` or `only`)."""
        codes = Code.objects.all() if codes is None else codes
        codes = codes.filter(project=project)
        if not include_archived:
            codes = codes.filter(is_archived=False)
        return cls(codes.order_by("order", "name"))

    def _walk(self, parent_id: int | None, depth: int, prefix: str) -> None:
        for code in self._children.get(parent_id, []):
            path = f"{prefix}{PATH_SEPARATOR}{code.name}" if prefix else code.name
            self._rows.append((code, depth, path))
            self._walk(code.pk, depth + 1, path)

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self) -> list[tuple[Code, int, str]]:
        """Every code depth-first, each followed by its sub-codes, with its depth and its path ("Parent › Child")."""
        return list(self._rows)

    def codes(self) -> list[Code]:
        return [code for code, _, _ in self._rows]

    def children_of(self, code_id: int | None) -> list[Code]:
        """The codes directly beneath `code_id` (None: the top of the tree), in order."""
        return list(self._children.get(code_id, []))

    def descendants(self, code_id: int, *, active_only: bool = False) -> list[int]:
        """`code_id` and the ids of every code beneath it, in codebook order; `active_only` stops at archived
        codes (an archived code's sub-codes are left out with it)."""
        found: list[int] = []
        stack = [code_id]
        while stack:
            pk = stack.pop()
            found.append(pk)
            stack.extend(
                child.pk for child in reversed(self._children.get(pk, [])) if not (active_only and child.is_archived)
            )
        return found
