"""The knowledge-base editor's form. Validation only; actions validate again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openmsp.knowledge.models import Article, KbCategory
from openmsp.tenants.models import Client


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 14}), max_length=200_000
    )
    language = forms.ChoiceField(label=_("Language"), choices=Article.Language.choices)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Article.Visibility.choices)
    client: Any = forms.ModelChoiceField(
        queryset=Client.objects.none(), label=_("Client"), required=False
    )
    category: Any = forms.ModelChoiceField(
        queryset=KbCategory.objects.all(), label=_("Category"), required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=Article.Status.choices)

    def __init__(self, *args: Any, clients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["client"]
        field.queryset = clients


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
