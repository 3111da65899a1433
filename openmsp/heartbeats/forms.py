"""The heartbeat form of the UI. Validation only; the actions layer validates again (cron, time
zone, run limits) and its errors are put back on these fields (openmsp.web.pages.apply_error)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from openmsp.assets.forms import SiteChoice, split_tags
from openmsp.assets.models import Asset
from openmsp.heartbeats.models import Heartbeat
from openmsp.tenants.forms import ModelFieldsForm
from openmsp.tenants.models import Client, Site

# Sentences the actions layer raises that a user of the form can meet (shown translated).
ACTION_MESSAGES = (
    gettext_noop("The grace time must be more than zero seconds."),
    gettext_noop("The period must be more than zero seconds."),
    gettext_noop("The cron expression never matches a real date."),
    gettext_noop("'Finished too fast' must be shorter than 'ran too long'."),
    gettext_noop("This client already has a heartbeat with that slug."),
)


class AssetChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.client.name} · {obj.name}"


class HeartbeatForm(ModelFieldsForm):
    model = Heartbeat
    model_fields = (
        "name", "slug", "description", "site", "asset", "kind", "period_seconds", "cron",
        "time_zone", "grace_seconds", "max_run_seconds", "min_run_seconds", "min_interval_seconds",
    )  # fmt: skip
    widgets = {"description": forms.Textarea(attrs={"rows": 2})}
    tags = forms.CharField(
        label=_("tags"),
        required=False,
        max_length=1000,
        help_text=_("Separated by commas: erp, nightly"),
    )

    def __init__(
        self,
        *args: Any,
        clients: QuerySet[Client] | None = None,
        sites: QuerySet[Site],
        assets: QuerySet[Asset],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"] = SiteChoice(
            queryset=sites.order_by("client__name", "name"),
            required=False,
            label=_("site"),
            empty_label=_("(no site)"),
        )
        self.fields["asset"] = AssetChoice(
            queryset=assets.order_by("client__name", "name"),
            required=False,
            label=_("asset"),
            empty_label=_("(no asset)"),
        )
        self.fields["cron"].widget.attrs.update(placeholder="30 2 * * *", spellcheck="false")
        self.fields["cron"].help_text = _(
            "minute hour day-of-month month day-of-week, read in the time zone below"
        )
        self.fields["period_seconds"].required = False
        if clients is not None:  # creating: the client is chosen here, once
            self.fields = {
                "client": forms.ModelChoiceField(
                    queryset=clients.order_by("name"), label=_("client"), empty_label=None
                ),
                **self.fields,
            }

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Heartbeat.Kind.PERIOD and not data.get("period_seconds"):
            self.add_error("period_seconds", _("A period schedule needs its period."))
        if data.get("kind") == Heartbeat.Kind.CRON and not data.get("cron"):
            self.add_error("cron", _("A cron schedule needs its expression."))
        return data

    def changes(self) -> dict[str, Any]:
        changes = {**super().changes(), "tags": self.cleaned_data["tags"]}
        if not changes.get("period_seconds"):
            changes.pop("period_seconds", None)  # cron: keep the stored (unused) period
        return changes
