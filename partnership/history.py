"""How every model records its history (django-simple-history), made cheap enough for the coding hot path.

The library's `Model.history` builds a new manager class on every access (`from_queryset`), which costs about
a millisecond each time: more than the insert it then makes. Here the class is built once per model.
"""

from __future__ import annotations

from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

_manager_classes: dict[tuple, type] = {}


class HistoryManagerMadeOnce(HistoryManager):
    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        key = (cls, queryset_class, class_name)
        if key not in _manager_classes:
            _manager_classes[key] = super().from_queryset(queryset_class, class_name)
        return _manager_classes[key]


def recorded_history(**options) -> HistoricalRecords:
    """`HistoricalRecords` for a model: who changed what and when, before and after."""
    return HistoricalRecords(history_manager=HistoryManagerMadeOnce, **options)
