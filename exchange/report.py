"""What an import did: what it created, what it matched, what it dropped and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# A report is kept with its import job (as JSON) for the job's page: long lists are cut, with a count.
MAX_LINES = 300


@dataclass
class Count:
    label: str
    new: int = 0
    matched: int = 0


@dataclass
class ImportReport:
    file_name: str
    kind: str
    origin: str = ""
    counts: list[Count] = field(default_factory=list)
    imported: dict[str, list[str]] = field(default_factory=dict)
    matched: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    coders: list[str] = field(default_factory=list)
    omitted: dict[str, int] = field(default_factory=dict)

    def count(self, label: str, *, new: int = 0, matched: int = 0) -> None:
        for count in self.counts:
            if count.label == label:
                count.new += new
                count.matched += matched
                return
        self.counts.append(Count(label=label, new=new, matched=matched))

    def _room(self, section: str, used: int) -> bool:
        if used < MAX_LINES:
            return True
        self.omitted[section] = self.omitted.get(section, 0) + 1
        return False

    def add_imported(self, section: str, line: str) -> None:
        lines = self.imported.setdefault(section, [])
        if self._room(section, len(lines)):
            lines.append(line)

    def add_matched(self, line: str) -> None:
        if self._room("matched", len(self.matched)):
            self.matched.append(line)

    def drop(self, what: str, why: str) -> None:
        if self._room("dropped", len(self.dropped)):
            self.dropped.append((what, why))

    @property
    def total_new(self) -> int:
        return sum(count.new for count in self.counts)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        data = dict(data)
        data["counts"] = [Count(**count) for count in data.get("counts", [])]
        data["dropped"] = [tuple(item) for item in data.get("dropped", [])]
        return cls(**data)

    def as_text(self) -> str:
        """The report for the command line."""
        lines = [f"Imported {self.file_name}" + (f" (from {self.origin})" if self.origin else "") + "."]
        for count in self.counts:
            lines.append(f"  {count.label}: {count.new} new, {count.matched} matched")
        for title, items in (("Coders", self.coders), ("Notes", self.notes)):
            if items:
                lines.append(f"{title}:")
                lines += [f"  - {item}" for item in items]
        if self.dropped:
            lines.append("Dropped:")
            lines += [f"  - {what}: {why}" for what, why in self.dropped]
        if self.omitted.get("dropped"):
            lines.append(f"  … and {self.omitted['dropped']} more")
        if not self.dropped:
            lines.append("Nothing was dropped.")
        return "\n".join(lines)
