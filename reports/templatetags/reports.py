from types import SimpleNamespace

from django import forms, template

register = template.Library()


@register.simple_tag
def frequency_chart(table) -> str:
    """A frequency table's chart as an SVG data: URI, drawn as the HTML or PDF rendering reaches it (the Word
    rendering draws its own PNG; assembling a paper draws nothing)."""
    from reports.charts import frequency_chart_svg

    return frequency_chart_svg(table)


@register.filter
def fieldset(form: forms.Form, names: str) -> SimpleNamespace:
    """Part of a form, by space-separated field names, shaped so that includes/form.html can lay it out.

    The form's own errors and hidden fields are shown once, outside the fieldsets.
    """
    return SimpleNamespace(visible_fields=[form[name] for name in names.split()], hidden_fields=[], non_field_errors=[])
