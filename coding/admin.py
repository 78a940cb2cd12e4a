from django.contrib import admin

from .models import Code, Excerpt, ExcerptCode, Memo


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "project", "colour", "is_archived", "is_codable"]
    list_filter = ["project", "is_archived", "is_codable"]
    search_fields = ["name", "definition"]
    list_select_related = ["parent", "project"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["research_questions"]
    readonly_fields = ["guid", "created_at"]


class ExcerptCodeInline(admin.TabularInline):
    model = ExcerptCode
    extra = 0
    autocomplete_fields = ["code"]


@admin.register(Excerpt)
class ExcerptAdmin(admin.ModelAdmin):
    list_display = ["__str__", "coded_by", "is_key_quote", "created_at"]
    list_filter = ["is_key_quote", "interview__case_study", "coded_by"]
    search_fields = ["text", "memo"]
    list_select_related = ["interview", "coded_by"]
    readonly_fields = ["interview", "start", "end", "text", "guid", "created_at", "updated_at"]
    inlines = [ExcerptCodeInline]


@admin.register(Memo)
class MemoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "author", "updated_at"]
    list_filter = ["project"]
    search_fields = ["title", "text"]
