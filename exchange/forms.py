from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat


class ImportForm(forms.Form):
    KINDS = {"project": ".qdpx", "codebook": ".qdc"}

    kind = forms.ChoiceField(choices=[("project", "Project"), ("codebook", "Codebook")], widget=forms.HiddenInput)
    file = forms.FileField(label="File")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}."
            )
        return upload
