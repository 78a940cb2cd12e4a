from django.contrib import admin

from .models import GroupNarrative, PaperBuild, PaperSeries, QuestionNarrative, WorkingPaper


class GroupNarrativeInline(admin.StackedInline):
    model = GroupNarrative
    extra = 0


class QuestionNarrativeInline(admin.StackedInline):
    model = QuestionNarrative
    extra = 0


@admin.register(WorkingPaper)
class WorkingPaperAdmin(admin.ModelAdmin):
    list_display = ["title", "series", "number", "project", "date", "updated_at"]
    list_filter = ["project"]
    search_fields = ["title", "short_title", "authors"]
    filter_horizontal = ["case_studies", "question_groups", "questions", "phases"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [GroupNarrativeInline, QuestionNarrativeInline]


@admin.register(PaperBuild)
class PaperBuildAdmin(admin.ModelAdmin):
    list_display = ["paper", "format", "shown_status", "stage", "page_count", "created_by", "created_at"]
    list_filter = ["status", "format"]
    list_select_related = ["paper", "created_by"]
    readonly_fields = [field.name for field in PaperBuild._meta.fields]

    @admin.display(description="Status", ordering="status")
    def shown_status(self, build: PaperBuild) -> str:
        return build.status_label

    def has_add_permission(self, request) -> bool:
        # A build is made by asking for one on the paper's page, which queues it for the worker.
        return False


@admin.register(PaperSeries)
class PaperSeriesAdmin(admin.ModelAdmin):
    """Each series' ISSN, copyright line and back page: what every paper of the series prints about it."""

    list_display = ["name", "project", "issn"]
    list_filter = ["project"]
