"""The interface form of the UI. Validation only; the actions layer validates again (cron, time
zone, owner) and its errors are put back on these fields (openmsp.web.pages.apply_error)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from openmsp.accounts.models import User
from openmsp.assets.forms import split_tags
from openmsp.interfaces.models import Interface
from openmsp.tenants.forms import ModelFieldsForm
from openmsp.tenants.models import Client

ACTION_MESSAGES = (
    gettext_noop("The owner must be a member of the MSP's staff."),
    gettext_noop("A finish deadline needs a schedule (cron) to count from."),
    gettext_noop("This client already has an interface with that code."),
)


class InterfaceForm(ModelFieldsForm):
    model = Interface
    model_fields = (
        "name", "code", "description", "owner", "owner_name", "source_system", "target_system",
        "direction", "protocol", "cron", "time_zone", "start_grace_minutes", "deadline_minutes",
        "max_error_rate", "max_failures", "max_backlog", "max_oldest_age_seconds",
        "max_latency_ms", "expect_traffic", "min_traffic_ratio",
    )  # fmt: skip
    widgets = {"description": forms.Textarea(attrs={"rows": 2})}
    tags = forms.CharField(
        label=_("tags"), required=False, max_length=1000, help_text=_("Separated by commas")
    )

    def __init__(
        self,
        *args: Any,
        clients: QuerySet[Client] | None = None,
        staff: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = forms.ModelChoiceField(
            queryset=staff, required=False, label=_("owner"), empty_label=_("(nobody)")
        )
        self.fields["cron"].widget.attrs.update(placeholder="0 2 * * *", spellcheck="false")
        self.fields["cron"].help_text = _("When a batch starts; empty for a message stream")
        if clients is not None:
            self.fields = {
                "client": forms.ModelChoiceField(
                    queryset=clients.order_by("name"), label=_("client"), empty_label=None
                ),
                **self.fields,
            }

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags") or "")

    def changes(self) -> dict[str, Any]:
        return {**super().changes(), "tags": self.cleaned_data["tags"]}
