"""On-call schedules: who of the MSP's staff answers, and when.

The rows hold only what a person typed; `openmsp.oncall.build` turns them into the pure
`rotation` objects, which do all the arithmetic (hand-offs, restrictions, overrides).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openmsp.core.models import TimestampedModel
from openmsp.oncall import rotation
from openmsp.tenants.models import Client


class Schedule(TimestampedModel):
    """Owned by the MSP. `client` optionally limits it to one client's work: then only staff
    who may see that client see the schedule, and only that client's routes may page it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Seoul")
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("client")
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Layer(models.Model):
    """One rotation; layers with a higher `position` sit above lower ones."""

    class Kind(models.TextChoices):
        DAILY = rotation.DAILY, _("Daily")
        WEEKLY = rotation.WEEKLY, _("Weekly")
        CUSTOM = rotation.CUSTOM, _("Every N hours")

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=100, blank=True)
    kind = models.CharField(_("rotation"), max_length=10, choices=Kind.choices)
    hours = models.PositiveIntegerField(_("hours"), default=0)  # rotation length for CUSTOM
    start = models.DateTimeField(_("first hand-off"))  # its local time is the hand-off time
    # [{"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}, …]; empty = all day
    restrictions = models.JSONField(_("restriction windows"), default=list, blank=True)

    class Meta:
        ordering = ["schedule", "position"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "position"], name="oncall_layer_once")
        ]

    def __str__(self) -> str:
        return self.name or f"layer {self.position}"


class LayerMember(models.Model):
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="members")
    position = models.PositiveSmallIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["layer", "position"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "position"], name="oncall_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.layer_id}#{self.position}: {self.user_id}"


class Override(TimestampedModel):
    """`user` covers [start, end); among overlapping overrides the latest created wins."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["schedule", "start", "pk"]
        indexes = [models.Index(fields=["schedule", "end"], name="oncall_override_end")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}"
