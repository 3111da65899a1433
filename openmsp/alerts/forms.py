"""UI forms of problems and maintenance windows: validation only (the actions check again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from openmsp.alerts.actions import MAX_COMMENT
from openmsp.assets.models import Asset
from openmsp.tenants.models import Client, Site

ACTION_MESSAGES = (
    gettext_noop("Only a firing problem can be acknowledged."),
    gettext_noop("The expiry must be in the future."),
    gettext_noop("The problem is not acknowledged."),
    gettext_noop("The problem changed meanwhile; reload it and try again."),
    gettext_noop("This problem resolves by itself when its check is OK again."),
    gettext_noop("The problem is already resolved."),
    gettext_noop("Write a comment."),
    gettext_noop("Give the window a name."),
    gettext_noop("The recurrence is not a valid cron expression."),
    gettext_noop("A recurring window needs a duration."),
    gettext_noop("A one-off window needs a start and an end."),
    gettext_noop("The window must end after it starts."),
    gettext_noop("An asset cannot depend on itself, even indirectly."),
)
LOCAL = "%Y-%m-%dT%H:%M"


def local_datetime(label: Any, required: bool = False) -> forms.DateTimeField:
    """A datetime-local input, read in the viewer's time zone (the page sets it)."""
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )


class ClientLabelled(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Sites and assets labelled with their client, so one list can serve several clients."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.client.name} · {obj.name}"


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expires_at = local_datetime(_("Acknowledged until (optional)"))


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 2})
    )


class WindowForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    name = forms.CharField(label=_("Name"), max_length=200)
    starts_at = local_datetime(_("Starts"))
    ends_at = local_datetime(_("Ends"))
    cron = forms.CharField(
        label=_("Repeats (cron)"),
        required=False,
        max_length=100,
        help_text=_("Empty for a one-off window. E.g. 0 2 * * 0 = Sundays at 02:00."),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, min_value=1, max_value=7 * 24 * 60
    )
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="Asia/Seoul")
    site = ClientLabelled(queryset=Site.objects.none(), label=_("Only site"), required=False)
    asset = ClientLabelled(queryset=Asset.objects.none(), label=_("Only asset"), required=False)
    tag = forms.CharField(
        label=_("Only tag or label"),
        required=False,
        max_length=100,
        help_text=_("An asset tag, or key=value of a label. Empty: the whole client."),
    )
    fingerprint_prefix = forms.CharField(
        label=_("Only fingerprints starting with"), required=False, max_length=600
    )
    counts_against_availability = forms.BooleanField(
        label=_("Counts against availability"), required=False
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        clients: QuerySet[Any],
        sites: QuerySet[Any] | None = None,
        assets: QuerySet[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["site"].queryset = sites if sites is not None else Site.objects.none()  # type: ignore[attr-defined]
        self.fields["asset"].queryset = assets if assets is not None else Asset.objects.none()  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("client")
        return data


class AlertmanagerTokenForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    name = forms.CharField(label=_("Name"), max_length=200)

    def __init__(self, *args: Any, clients: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]


class DependencyForm(forms.Form):
    parent = forms.ModelChoiceField(
        queryset=Asset.objects.none(),
        label=_("Depends on"),
        help_text=_(
            "While this asset is offline or down, new problems of this one are suppressed."
        ),
    )

    def __init__(self, *args: Any, parents: QuerySet[Asset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
