"""Every model that keeps a history keeps it the one way (`partnership.history.recorded_history`)."""

from django.apps import apps

from partnership.history import HistoryManagerMadeOnce


def test_every_model_with_a_history_builds_its_history_manager_once():
    recorded = [model for model in apps.get_models() if hasattr(model, "history") and hasattr(model, "_meta")]
    recorded = [model for model in recorded if not model.__name__.startswith("Historical")]
    assert len(recorded) >= 12
    assert [model.__name__ for model in recorded if not isinstance(model.history, HistoryManagerMadeOnce)] == []
