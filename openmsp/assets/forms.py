"""UI forms of the fleet: manual assets, enrollment tokens, the command runner. Validation only.

The actions layer validates everything again; its errors are put back on these fields by the
views (`openmsp.web.pages.apply_error`). The English sentences it raises that a user can meet are
listed in ACTION_MESSAGES so they are shown translated.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from openmsp.agent_api.actions import MAX_SCRIPT_CHARS, MAX_TIMEOUT, MAX_TOKEN_DAYS
from openmsp.assets.actions import MAX_TAGS
from openmsp.assets.models import Asset
from openmsp.tenants.forms import DATE, ModelFieldsForm
from openmsp.tenants.models import Client, Site

ACTION_MESSAGES = (
    gettext_noop("End of life cannot be before the end of warranty."),
    gettext_noop("An asset can have at most 30 tags."),
    gettext_noop("The script is empty."),
    gettext_noop(
        "The interpreter must be an absolute path (/bin/sh) or a program name (powershell)."
    ),
    gettext_noop("The timeout must be 1 to 86400 seconds."),
    gettext_noop("The token must expire in the future, within 365 days."),
    gettext_noop("max_uses must be at least 1 (or empty for no limit)."),
    gettext_noop("Choose at least one asset."),
)
INTERPRETERS = ("/bin/sh", "/bin/bash", "/usr/bin/python3", "powershell", "pwsh")
INTERPRETER_LIST = "interpreter-list"  # id of the <datalist> of common interpreters
_TAG = re.compile(r"^[^\s,][^,\x00-\x1f]{0,49}$")
_INTERPRETER = re.compile(r"^(/[A-Za-z0-9._+-]+)+$|^[A-Za-z0-9._+-]+$")


class SiteChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Sites labelled with their client, so one list can serve several clients."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.client.name} · {obj.name}"


def split_tags(text: str) -> list[str]:
    return sorted({part.strip() for part in text.split(",") if part.strip()})


class AssetForm(ModelFieldsForm):
    model = Asset
    model_fields = (
        "name",
        "site",
        "hostname",
        "role",
        "criticality",
        "os_name",
        "os_version",
        "vendor",
        "model",
        "serial",
        "warranty_until",
        "end_of_life",
        "notes",
    )
    widgets = {
        "notes": forms.Textarea(attrs={"rows": 3}),
        "warranty_until": DATE,
        "end_of_life": DATE,
    }
    tags = forms.CharField(
        label=_("tags"),
        required=False,
        max_length=2000,
        help_text=_("Separated by commas: core, seoul-dc, backup"),
    )

    def __init__(
        self,
        *args: Any,
        clients: QuerySet[Client] | None = None,
        sites: QuerySet[Site],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"] = SiteChoice(
            queryset=sites.order_by("client__name", "name"),
            required=False,
            label=_("site"),
            empty_label=_("(no site)"),
        )
        if clients is not None:  # creating: the client is chosen here, once
            self.fields = {
                "client": forms.ModelChoiceField(
                    queryset=clients.order_by("name"), label=_("client"), empty_label=None
                ),
                **self.fields,
            }

    def clean_tags(self) -> list[str]:
        names = split_tags(self.cleaned_data.get("tags") or "")
        for name in names:
            if not _TAG.match(name):
                raise ValidationError(
                    _("“%(name)s” is not a usable tag: 1–50 characters, no commas."),
                    params={"name": name},
                )
        if len(names) > MAX_TAGS:
            raise ValidationError(
                _("An asset can have at most %(count)d tags."), params={"count": MAX_TAGS}
            )
        return names

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        warranty, end = data.get("warranty_until"), data.get("end_of_life")
        if warranty and end and end < warranty:
            self.add_error("end_of_life", _("End of life cannot be before the end of warranty."))
        return data

    def changes(self) -> dict[str, Any]:
        return {**super().changes(), "tags": self.cleaned_data["tags"]}


class EnrollmentTokenForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("client"))
    site = SiteChoice(queryset=Site.objects.none(), required=False, label=_("site"))
    name = forms.CharField(
        label=_("name"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, e.g. “Seoul data centre servers”."),
    )
    expires_in_days = forms.IntegerField(
        label=_("expires in (days)"), min_value=1, max_value=MAX_TOKEN_DAYS, initial=7
    )
    max_uses = forms.IntegerField(
        label=_("maximum uses"),
        min_value=1,
        max_value=100_000,
        required=False,
        help_text=_("Empty: any number of hosts until it expires."),
    )

    def __init__(
        self, *args: Any, clients: QuerySet[Client], sites: QuerySet[Site], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients.order_by("name")  # type: ignore[attr-defined]
        site_field: Any = self.fields["site"]
        site_field.queryset = sites.order_by("client__name", "name")
        site_field.empty_label = _("(any site)")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        client, site = data.get("client"), data.get("site")
        if client is not None and site is not None and site.client_id != client.pk:
            self.add_error("site", _("The site belongs to another client."))
        return data


class CommandForm(forms.Form):
    script = forms.CharField(
        label=_("script"),
        max_length=MAX_SCRIPT_CHARS,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off", "class": "mono"}
        ),
    )
    interpreter = forms.CharField(
        label=_("interpreter"),
        max_length=200,
        initial="/bin/sh",
        widget=forms.TextInput(attrs={"list": INTERPRETER_LIST, "spellcheck": "false"}),
    )
    timeout = forms.IntegerField(
        label=_("timeout (seconds)"), min_value=1, max_value=MAX_TIMEOUT, initial=60
    )

    def clean_script(self) -> str:
        script: str = self.cleaned_data["script"]
        if not script.strip():
            raise ValidationError(_("The script is empty."))
        if "\x00" in script:
            raise ValidationError(_("The script cannot contain NUL characters."))
        return script

    def clean_interpreter(self) -> str:
        value: str = self.cleaned_data["interpreter"].strip()
        if not _INTERPRETER.match(value):
            raise ValidationError(
                _(
                    "The interpreter must be an absolute path (/bin/sh) or a program name "
                    "(powershell)."
                )
            )
        return value
