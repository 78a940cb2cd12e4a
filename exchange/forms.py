from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat


class ImportForm(forms.Form):
    KINDS = {
        "project": (".qdpx", "A .qdpx project exported by NVivo, ATLAS.ti, MAXQDA, QualCoder or this workbench."),
        "codebook": (".qdc", "A .qdc codebook, for example from Taguette, MAXQDA or this workbench."),
    }

    kind = forms.ChoiceField(choices=[("project", "Project"), ("codebook", "Codebook")], widget=forms.HiddenInput)
    file = forms.FileField(label="File")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kind = (self.data.get("kind") if self.is_bound else None) or self.initial.get("kind")
        if kind in self.KINDS:
            extension, help_text = self.KINDS[kind]
            self.fields["file"].widget.attrs["accept"] = extension
            self.fields["file"].help_text = help_text

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}."
            )
        return upload
