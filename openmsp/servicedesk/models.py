"""Service desk: tickets, their conversation and their append-only history.

SLA clocks are not stored as running timers: the pure engine (openmsp.servicedesk.sla) derives
them from TicketEvent rows, and the due instants are written to indexed deadline columns on the
ticket (`first_response_due`, `next_response_due`, `resolution_due`) so the scheduler finds
breaches with one indexed query.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openmsp.core.models import TimestampedModel
from openmsp.tenants.models import BusinessCalendar, Client, Contact, Contract, TenantOwned

CLOCKS = ("first_response", "next_response", "resolution")


class TicketStatus(models.Model):
    """A status the MSP works with; `client` empty means MSP-wide (the seeded defaults)."""

    class Category(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE
    )
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    # Which SLA clocks stop while a ticket is in this status (subset of CLOCKS).
    pauses = models.JSONField(_("pauses clocks"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(client__isnull=True), name="ticketstatus_code_global"
            ),
            models.UniqueConstraint(
                fields=["client", "code"],
                condition=Q(client__isnull=False),
                name="ticketstatus_code_per_client",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.category in (self.Category.RESOLVED, self.Category.CLOSED)


class Team(TenantOwned):
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="sd_teams")

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="team_name_per_client")
        ]

    def __str__(self) -> str:
        return self.name


class Category(TenantOwned):
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="category_name_per_client")
        ]

    def __str__(self) -> str:
        return self.name


class Ticket(TenantOwned):
    class Type(models.TextChoices):
        INCIDENT = "incident", _("Incident")
        SERVICE_REQUEST = "service_request", _("Service request")
        PROBLEM = "problem", _("Problem")
        CHANGE = "change", _("Change")

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        PORTAL = "portal", _("Portal")
        EMAIL = "email", _("Email")
        API = "api", _("API")
        MONITORING = "monitoring", _("Monitoring")

    class Priority(models.TextChoices):
        P1 = "P1", _("P1 critical")
        P2 = "P2", _("P2 high")
        P3 = "P3", _("P3 medium")
        P4 = "P4", _("P4 low")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    requester_contact = models.ForeignKey(
        Contact, verbose_name=_("requester"), null=True, blank=True, on_delete=models.SET_NULL
    )
    requester_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_tickets",
    )
    subject = models.CharField(_("subject"), max_length=300)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.INCIDENT)
    impact = models.PositiveSmallIntegerField(_("impact"), default=3)
    urgency = models.PositiveSmallIntegerField(_("urgency"), default=3)
    priority = models.CharField(
        _("priority"), max_length=2, choices=Priority.choices, default=Priority.P4
    )
    status = models.ForeignKey(TicketStatus, verbose_name=_("status"), on_delete=models.PROTECT)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_tickets"
    )
    assets = models.ManyToManyField("assets.Asset", blank=True, related_name="tickets")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default="web")
    # For source=monitoring: the problem's fingerprint, so a re-firing problem annotates its ticket.
    source_ref = models.CharField(_("source reference"), max_length=200, blank=True)
    first_response_due = models.DateTimeField(null=True, blank=True)
    next_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    # The earliest due time of the running clocks (queue sort), and the earliest pending SLA
    # warning or ladder step (the escalation job's deadline column).
    next_due = models.DateTimeField(null=True, blank=True)
    sla_action_due = models.DateTimeField(null=True, blank=True)
    sla_policy = models.ForeignKey(
        "SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sla_state = models.JSONField(default=dict, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "status"], name="ticket_client_status"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            # The queue's default order and "sorted by resolution due" (the field, then the id
            # the same way: queries.order_tickets and the API), walked in index order forwards
            # or backwards, so a page, deep or not, sorts nothing.
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(fields=["resolution_due", "id"], name="ticket_resolution_order"),
            *(
                models.Index(fields=[f], name=f"ticket_{f}", condition=Q(**{f"{f}__isnull": False}))
                for f in (
                    "first_response_due",
                    "next_response_due",
                    "resolution_due",
                    "next_due",
                    "sla_action_due",
                )
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "source_ref"],
                condition=Q(source="monitoring") & ~Q(source_ref=""),
                name="ticket_monitoring_ref_per_client",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def requester_label(self) -> str:
        if self.requester_user_id:
            u: Any = self.requester_user
            return str(u.full_name or u.email)
        if self.requester_contact_id:
            return str(self.requester_contact)
        return ""


class TicketEntry(TenantOwned):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")
        SYSTEM = "system", _("System")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(_("message"))
    from_customer = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketentry_ticket_at")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"


class TicketEvent(TenantOwned):
    """Append-only: what happened to a ticket, when. The SLA engine reads these."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS_CHANGED = "status_changed", _("Status changed")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed")
        PUBLIC_REPLY_BY_STAFF = "public_reply_by_staff", _("Staff replied")
        CUSTOMER_MESSAGE = "customer_message", _("Customer wrote")
        RESOLVED = "resolved", _("Resolved")
        REOPENED = "reopened", _("Reopened")
        ASSIGNED = "assigned", _("Assigned")
        MERGED = "merged", _("Merged")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_STEP = "sla_step", _("SLA escalation step")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    at = models.DateTimeField()
    actor_label = models.CharField(max_length=200, blank=True)
    # status_changed: {"from": code, "to": code, "from_category", "to_category"};
    # priority_changed: {"from": "P3", "to": "P1"}.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticketevent_ticket_at")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at.isoformat()}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"{instance.client_id}/{instance.ticket_id}/{filename}"


def attachment_storage() -> FileSystemStorage:
    """OPENMSP_DATA_DIR/attachments, never under a served URL: files go out through a view."""
    return FileSystemStorage(location=settings.DATA_DIR / "attachments", base_url=None)


class Attachment(TenantOwned):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(
        TicketEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, storage=attachment_storage, max_length=300)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class TicketLink(TenantOwned):
    class Kind(models.TextChoices):
        RELATED = "related", _("Related")
        DUPLICATE = "duplicate", _("Duplicate of")
        PARENT = "parent", _("Child of")

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=10, choices=Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticketlink_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class SavedView(models.Model):
    """A technician's named queue filter (the query string of the queue page)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_views"
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


# --- email ---------------------------------------------------------------------------------------
class Mailbox(models.Model):
    """An IMAP mailbox the desk reads. With a client it serves that client; without one it is
    the MSP's shared mailbox, routing each sender to a client by address or domain."""

    class Security(models.TextChoices):
        SSL = "ssl", _("TLS (IMAPS)")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("None (loopback or trusted network only)")

    class UnknownSender(models.TextChoices):
        CONTACT = "contact", _("Open a ticket and add the sender as a contact")
        REJECT = "reject", _("Record the message, open no ticket")

    class Intake(models.TextChoices):
        IMAP = "imap", _("Poll an IMAP mailbox")
        LISTENER = "listener", _("Mail delivered to the desk's SMTP/LMTP listener")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    client = models.ForeignKey(
        Client, verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(_("address"), help_text=_("Replies are sent from this address."))
    enabled = models.BooleanField(_("enabled"), default=True)
    # IMAP: the scheduler polls host/folder. Listener: `openmsp mail-listener` accepts mail for
    # `address` (the IMAP fields stay empty). Either way the same intake (mail_in).
    intake = models.CharField(
        _("intake"), max_length=10, choices=Intake.choices, default=Intake.IMAP
    )
    host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    security = models.CharField(
        _("security"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    username = models.CharField(_("user name"), max_length=200, blank=True)
    # Fernet-encrypted under SECRET_KEY (openmsp.agent_api.crypto); never shown or audited.
    password_encrypted = models.TextField(blank=True)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    unknown_sender = models.CharField(
        _("unknown senders"),
        max_length=10,
        choices=UnknownSender.choices,
        default=UnknownSender.CONTACT,
    )
    # Shared mailbox: {"hanbit.example": client_id, ...}; a known contact or user wins.
    domain_routes = models.JSONField(_("sender domains"), default=dict, blank=True)
    uid_validity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class MailMessage(models.Model):
    """Every message in or out of a ticket's thread: the threading index (Message-ID) and the
    record of what became of each inbound message (never silently dropped)."""

    class Direction(models.TextChoices):
        IN = "in", _("Received")
        OUT = "out", _("Sent")

    class Outcome(models.TextChoices):
        OPENED = "opened", _("Opened a ticket")
        THREADED = "threaded", _("Added to a ticket")
        AUTOMATIC = "automatic", _("Automatic reply (not answered)")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Duplicate")
        FAILED = "failed", _("Could not be processed")
        SENT = "sent", _("Queued for sending")

    created_at = models.DateTimeField(auto_now_add=True)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    uid_validity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    from_address = models.CharField(max_length=320, blank=True, db_index=True)
    to_addresses = models.TextField(blank=True)
    subject = models.CharField(max_length=500, blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="mail"
    )
    entry = models.ForeignKey(
        TicketEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="mail"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.TextField(blank=True)  # why: the auto-reply signal, rejected attachments …
    headers = models.TextField(blank=True)  # the received header block, for the ticket page

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uid_validity", "uid"],
                condition=Q(direction="in"),
                name="mailmessage_uid_once",
            )
        ]
        indexes = [models.Index(fields=["from_address", "created_at"], name="mailmessage_sender")]

    def __str__(self) -> str:
        return f"{self.direction} {self.message_id}"


class MailTemplate(models.Model):
    """The text of the desk's outgoing mail, per kind and language, editable by MSP admins.
    Django template syntax; see docs/servicedesk-email.md for the variables."""

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "ack", _("New ticket acknowledgement")
        REPLY = "reply", _("Staff reply")
        CUSTOMER_UPDATE = "update", _("Customer message (to the technician)")
        WATCHER = "watch", _("Public update (to a watcher)")

    updated_at = models.DateTimeField(auto_now=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    language = models.CharField(
        _("language"), max_length=8, choices=[("ko", "한국어"), ("en", "English")]
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))

    class Meta:
        ordering = ["kind", "language"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="mailtemplate_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.language}"


class SlaPolicy(TimestampedModel):
    """An MSP-wide rule choosing a ticket's SLA targets: tried by `position`, the first whose every
    set condition holds wins (openmsp.servicedesk.slapolicy). An empty condition matches anything.
    `client` is a condition and also who may see the policy (empty: every MSP staff member)."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(default=0, db_index=True)
    client = models.ForeignKey(
        Client, verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE
    )
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), null=True, blank=True, on_delete=models.CASCADE
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    ticket_types = models.JSONField(_("ticket types"), default=list, blank=True)
    # Matches when any linked asset has one of these criticalities.
    asset_criticalities = models.JSONField(_("asset criticalities"), default=list, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class SlaPolicyClock(models.Model):
    """One clock's target under a policy; a clock without a row is not applicable."""

    class CalendarMode(models.TextChoices):
        CONTRACT = "contract", _("The contract's calendar")
        CALENDAR = "calendar", _("A business calendar")
        ALWAYS = "24x7", _("24x7")

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="clocks")
    clock = models.CharField(max_length=20, choices=[(c, c) for c in CLOCKS])
    target_minutes = models.PositiveIntegerField(_("target (working minutes)"))
    calendar_mode = models.CharField(
        max_length=10, choices=CalendarMode.choices, default=CalendarMode.CONTRACT
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    warn_percent = models.PositiveSmallIntegerField(_("warning at (%)"), default=75)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "clock"], name="slapolicyclock_once")
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.clock}"


class SlaStep(models.Model):
    """A rung of a policy clock's escalation ladder, `offset_minutes` working minutes from the
    due instant (negative: before it)."""

    class Action(models.TextChoices):
        NOTIFY = "notify", _("Notify")
        REASSIGN = "reassign", _("Reassign")
        RAISE_PRIORITY = "raise_priority", _("Raise priority")
        PAGE_ONCALL = "page_oncall", _("Page on-call")

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="steps")
    clock = models.CharField(max_length=20, choices=[(c, c) for c in CLOCKS])
    offset_minutes = models.IntegerField(_("offset (working minutes)"))
    action = models.CharField(max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["clock", "offset_minutes", "pk"]

    def __str__(self) -> str:
        return f"{self.clock} {self.offset_minutes:+d} {self.action}"


class SlaFiring(TenantOwned):
    """A warning or ladder step that fired for one run (`cycle`) of a ticket's clock. The unique
    constraint is what makes firing exactly-once across job runs and schedulers."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_firings")
    clock = models.CharField(max_length=20)
    cycle = models.PositiveIntegerField(default=1)
    key = models.CharField(max_length=40)  # "warning" or "step:<id>"
    at = models.DateTimeField()  # the instant it was due
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "clock", "cycle", "key"], name="slafiring_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.clock}#{self.cycle} {self.key}"


# --- Time entries (staff-only; openmsp.servicedesk.timekeeping) ---------------------------------
class TimeEntry(TenantOwned):
    """Work a technician did on a ticket. Never shown to client users (UI or API)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    date = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("minutes"))
    # One of settings.SD_WORK_TYPES (OPENMSP_WORK_TYPES): a configurable list, not a table.
    work_type = models.CharField(_("work type"), max_length=50)
    billable = models.BooleanField(_("billable"), default=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)  # set when it came from a timer

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["client", "date"], name="timeentry_client_date"),
            models.Index(fields=["ticket", "date"], name="timeentry_ticket_date"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.ticket_id}"


class TimerRun(TenantOwned):
    """A running start/stop timer: at most one per technician and ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="timers")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_timers"
    )
    started_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "technician"], name="timer_per_tech_ticket")
        ]

    def __str__(self) -> str:
        return f"timer {self.technician_id} on {self.ticket_id}"


# --- Customer satisfaction (openmsp.servicedesk.csat) -------------------------------------------
class CsatSetting(TenantOwned):
    """Per client: whether resolved tickets get a survey, how many (sampling) and how soon."""

    enabled = models.BooleanField(_("send surveys"), default=False)
    sample_percent = models.PositiveSmallIntegerField(_("sampling (%)"), default=100)
    delay_minutes = models.PositiveIntegerField(_("delay after resolution (minutes)"), default=60)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client"], name="csat_setting_per_client")]

    def __str__(self) -> str:
        return f"CSAT of {self.client_id}"


class CsatSurvey(TenantOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Scheduled")
        SENT = "sent", _("Sent")
        ANSWERED = "answered", _("Answered")
        CANCELLED = "cancelled", _("Cancelled")
        SKIPPED = "skipped", _("No address")

    class Rating(models.TextChoices):
        GOOD = "good", _("Good")
        BAD = "bad", _("Bad")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="csat_surveys",
    )  # fmt: skip
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    send_after = models.DateTimeField()  # the durable job's deadline column
    recipient = models.EmailField(blank=True)
    language = models.CharField(max_length=8, default="ko")
    # SHA-256 of the link's token; the token itself is only in the mail.
    token_hash = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    rating = models.CharField(max_length=4, choices=Rating.choices, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["send_after"], name="csat_survey_due", condition=Q(status="pending")
            ),
            models.Index(fields=["client", "answered_at"], name="csat_survey_client_answered"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["token_hash"], condition=~Q(token_hash=""), name="csat_token_unique"
            )
        ]

    def __str__(self) -> str:
        return f"survey of {self.ticket_id} ({self.status})"
