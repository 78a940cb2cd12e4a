"""The roles a member holds in a project and in a case study. Plain choices, below the models, so that the reach
rules (`disclosure.rules`) can name them without importing any model."""

from django.db import models


class ProjectRole(models.TextChoices):
    LEAD = "lead", "Project lead"
    RESEARCHER = "researcher", "Researcher"


class CaseStudyRole(models.TextChoices):
    LEAD = "lead", "Lead researcher"
    RESEARCHER = "researcher", "Researcher"
