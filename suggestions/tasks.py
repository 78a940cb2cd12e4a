"""Background work: training a project's code model. The immediate backend runs it in the request; in production
`TASKS_BACKEND=django_tasks_db.DatabaseBackend` queues it for `manage.py worker`."""

from __future__ import annotations

from django.tasks import task

from casestudies.models import ResearchProject

from . import services


@task()
def train_code_model(project_id: int) -> dict:
    project = ResearchProject.objects.filter(pk=project_id).first()
    if project is None:
        return {"project": project_id, "ran": False}
    model = services.train_code_model(project=project)
    return {"project": project_id, "ran": True, "model": model.pk, "sentences": model.sentence_count}
