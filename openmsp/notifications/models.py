"""Notification channels, routing rules, groups, escalations and the durable outbox.

The work is driven by deadlines in indexed columns, found with one indexed query and claimed
with a conditional UPDATE (CONVENTIONS.md, healthchecks):

- `NotificationGroup.flush_at`: when a group's grouped message is due (group wait / interval /
  repeat interval);
- `PendingEscalation.due_at`: when a step of a route's ladder fires for an unacknowledged problem;
- `OutboxMessage.next_attempt_at`: when a message is next tried; while a worker holds it, the
  same column is its lease expiry, so a message whose worker died is simply due again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openmsp.core.encryption import EncryptedTextField
from openmsp.tenants.models import TenantOwned


class Channel(TenantOwned):
    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Webhook")
        SLACK = "slack", _("Slack-compatible webhook")
        TEAMS = "teams", _("Microsoft Teams webhook")
        TICKET = "ticket", _("Service desk ticket")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    config = models.JSONField(_("settings"), default=dict)
    # The webhook's HMAC key: needed in clear to sign, so stored encrypted, never shown or audited.
    secret = EncryptedTextField(blank=True, default="")
    # Which addresses its URL may reach (openmsp.core.netguard): set from who saved it.
    network_scope = models.CharField(
        _("network scope"),
        max_length=10,
        default="public",
        choices=[("public", _("Public")), ("private", _("Private")), ("internal", _("Internal"))],
    )

    class Meta:
        ordering = ["client", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "name"],
                name="notify_channel_name_per_client",
                violation_error_message=_("This client already has a channel with that name."),
                violation_error_code="unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Route(TenantOwned):
    """One routing rule of a client. Rules are tried in `position` order; the first that
    matches wins unless it says `continue_matching`. The default route (at most one per client)
    takes what no other rule matched."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    is_default = models.BooleanField(_("default route"), default=False)
    continue_matching = models.BooleanField(_("continue to later rules"), default=False)
    severities = models.JSONField(_("severities"), default=list, blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    # [{"name": "env", "op": "=~", "value": "prod|stage"}, …]; ops =, !=, =~, !~
    label_matchers = models.JSONField(_("label matchers"), default=list, blank=True)
    channels = models.ManyToManyField(Channel, blank=True, related_name="routes")
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    # "Whoever is on call in schedule X", resolved when each message is written.
    oncall_schedules = models.ManyToManyField("oncall.Schedule", blank=True, related_name="+")
    group_by = models.JSONField(_("group by labels"), default=list, blank=True)
    group_wait_seconds = models.PositiveIntegerField(_("group wait (s)"), default=30)
    group_interval_seconds = models.PositiveIntegerField(_("group interval (s)"), default=300)
    repeat_interval_seconds = models.PositiveIntegerField(_("repeat interval (s)"), default=14400)

    class Meta:
        ordering = ["client", "is_default", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "name"],
                name="notify_route_name_per_client",
                violation_error_message=_("This client already has a route with that name."),
                violation_error_code="unique",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(is_default=True),
                name="notify_one_default_route",
                violation_error_message=_("This client already has a default route."),
                violation_error_code="unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """After `after_minutes` without acknowledgement, tell these channels and people."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField()  # 1, 2, … in ladder order
    after_minutes = models.PositiveIntegerField()
    channels = models.ManyToManyField(Channel, blank=True, related_name="+")
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    oncall_schedules = models.ManyToManyField("oncall.Schedule", blank=True, related_name="+")

    class Meta:
        ordering = ["route", "number"]
        constraints = [models.UniqueConstraint(fields=["route", "number"], name="notify_step_once")]

    def __str__(self) -> str:
        return f"step {self.number}: after {self.after_minutes} min"


class ChangeRecord(TenantOwned):
    """Every ProblemChange the spine handed us, and what became of it (the "why did nobody hear
    about this" answer). Suppressed and in-maintenance changes stop here."""

    class Outcome(models.TextChoices):
        ROUTED = "routed", _("Routed")
        UNROUTED = "unrouted", _("No route matched")
        SUPPRESSED = "suppressed", _("Suppressed")
        MAINTENANCE = "maintenance", _("In maintenance")

    problem_id = models.BigIntegerField()
    fingerprint = models.CharField(max_length=500)
    kind = models.CharField(max_length=20)
    severity = models.CharField(max_length=20)
    title = models.CharField(max_length=500)
    at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    routes = models.JSONField(default=list)  # ids of the routes that took it

    class Meta:
        indexes = [models.Index(fields=["client", "-at"], name="notify_change_client_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.fingerprint}: {self.outcome}"


class NotificationGroup(TenantOwned):
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="groups")
    key = models.CharField(max_length=500)  # canonical JSON of the group-by label values
    labels = models.JSONField(default=dict)
    flush_at = models.DateTimeField(null=True, blank=True)
    last_flushed_at = models.DateTimeField(null=True, blank=True)
    flushes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["route", "key"], name="notify_group_once")]
        indexes = [
            models.Index(
                fields=["flush_at"], name="notify_group_due", condition=Q(flush_at__isnull=False)
            )
        ]


class GroupMember(models.Model):
    """A problem in a group, with its latest state; `dirty` until a message has told it."""

    group = models.ForeignKey(NotificationGroup, on_delete=models.CASCADE, related_name="members")
    problem_id = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    severity = models.CharField(max_length=20)
    title = models.CharField(max_length=500)
    summary = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    labels = models.JSONField(default=dict)
    at = models.DateTimeField()
    dirty = models.BooleanField(default=True)  # changed since the group's last message
    told = models.BooleanField(default=False)  # some message has named this problem

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "problem_id"], name="notify_member_once")
        ]
        indexes = [models.Index(fields=["problem_id"], name="notify_member_problem")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class PendingEscalation(TenantOwned):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    problem_id = models.BigIntegerField()
    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    title = models.CharField(max_length=500)
    severity = models.CharField(max_length=20)
    summary = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["problem_id", "step"], name="notify_escalate_once")
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="notify_escalation_due", condition=Q(state="scheduled")
            ),
            models.Index(fields=["problem_id"], name="notify_escalation_problem"),
        ]


class OutboxMessage(TenantOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Origin(models.TextChoices):
        GROUP = "group", _("Grouped notification")
        ESCALATION = "escalation", _("Escalation")
        TEST = "test", _("Test")
        PAGE = "page", _("On-call page")
        TICKET = "ticket", _("Service desk mail")

    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=20)  # the channel kind; "email" for a route's people
    recipients = models.JSONField(default=list, blank=True)  # people's addresses
    route = models.ForeignKey(Route, null=True, blank=True, on_delete=models.SET_NULL)
    origin = models.CharField(max_length=20, choices=Origin.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=500)
    payload = models.JSONField()  # the Notification, vendor-neutral (openmsp.notifications.content)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notify_outbox_due",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["client", "-created_at"], name="notify_outbox_client"),
        ]

    def __str__(self) -> str:
        return self.subject


class DeliveryAttempt(models.Model):
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)  # None: the worker never reported back (died)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of message {self.message_id}"
