from types import SimpleNamespace

from django import forms, template

register = template.Library()


@register.filter
def fieldset(form: forms.Form, names: str) -> SimpleNamespace:
    """Part of a form, by space-separated field names, shaped so that includes/form.html can lay it out.

    The form's own errors and hidden fields are shown once, outside the fieldsets.
    """
    return SimpleNamespace(visible_fields=[form[name] for name in names.split()], hidden_fields=[], non_field_errors=[])
