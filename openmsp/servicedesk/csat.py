"""Customer satisfaction: a one-click survey after a ticket is resolved.

- Per client (CsatSetting): on/off, a sampling percentage, a delay after resolution.
- Resolving a ticket schedules a CsatSurvey (status pending, `send_after` = resolution + delay)
  inside the resolving action's transaction; reopening cancels a pending one.
- The job `servicedesk.csat_send` (every 30 s) finds due surveys through the partial index on
  `send_after`, claims each with a conditional UPDATE, and writes the mail to the notification
  outbox in the same transaction (durable: a crash never loses or doubles a survey).
- The mail holds two links, /csat/<token>/good and /csat/<token>/bad: one click records the
  answer (no login); only the token's SHA-256 is stored; a token answers once and expires
  OPENMSP_CSAT_TOKEN_DAYS after sending. An optional comment may follow the click.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import require
from openmsp.core.actor import Actor
from openmsp.core.errors import OpenMSPError, PermissionDenied, ValidationFailed
from openmsp.servicedesk.models import CsatSetting, CsatSurvey, Ticket
from openmsp.tenants.models import Client
from openmsp.tenants.queries import scope

S = CsatSurvey.Status
COMMENT_LIMIT = 2000
_sampler = random.SystemRandom()


class SurveyGone(OpenMSPError):
    """The link is unknown, used, cancelled or expired (answered with 410 / 404 pages)."""

    status_code = 410


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


# --- settings ---------------------------------------------------------------------------------
def setting_of(client: Client | int) -> CsatSetting:
    client_id = client if isinstance(client, int) else client.pk
    row = CsatSetting.objects.filter(client_id=client_id).first()
    return row or CsatSetting(client_id=client_id)


@transaction.atomic
def update_setting(
    *, actor: Actor, client: Client, enabled: bool, sample_percent: int, delay_minutes: int
) -> CsatSetting:
    require(actor, Perm.WORK)
    if actor.user is not None and not actor.user.is_msp_staff:
        raise PermissionDenied("Only the MSP's staff change survey settings.")
    if not 0 <= sample_percent <= 100:
        raise ValidationFailed("Sampling is a percentage from 0 to 100.", field="sample_percent")
    if not 0 <= delay_minutes <= 60 * 24 * 30:
        raise ValidationFailed("The delay is 0 to 43200 minutes (30 days).", field="delay_minutes")
    row: CsatSetting
    row, _created = CsatSetting.objects.select_for_update().get_or_create(client=client)
    before = audit.snapshot(row)
    row.enabled, row.sample_percent, row.delay_minutes = enabled, sample_percent, delay_minutes
    row.save()
    audit.record(actor=actor, action="csat.settings_changed", obj=row, before=before,
                 after=audit.snapshot(row))  # fmt: skip
    return row


# --- lifecycle hooks (called by actions._move inside its transaction) --------------------------
def _recipient(t: Ticket) -> tuple[str, str]:
    user: Any = t.requester_user
    if user is not None and user.email:
        return user.email, user.language or t.client.language
    if t.requester_contact is not None and t.requester_contact.email:
        return t.requester_contact.email, t.client.language
    return "", t.client.language


def ticket_resolved(t: Ticket, now: dt.datetime) -> CsatSurvey | None:
    setting = setting_of(t.client_id)
    if not setting.enabled or _sampler.randrange(100) >= setting.sample_percent:
        return None
    if CsatSurvey.objects.filter(ticket=t, status=S.PENDING).exists():
        return None
    recipient, language = _recipient(t)
    return CsatSurvey.objects.create(
        client_id=t.client_id, ticket=t, technician=t.assignee, recipient=recipient,
        language=language, send_after=now + dt.timedelta(minutes=setting.delay_minutes),
    )  # fmt: skip


def ticket_reopened(t: Ticket) -> int:
    return CsatSurvey.objects.filter(ticket=t, status=S.PENDING).update(status=S.CANCELLED)


# --- the job ------------------------------------------------------------------------------------
def _mail_text(survey: CsatSurvey, token: str) -> tuple[str, str]:
    t = survey.ticket
    base = settings.SITE_URL
    good = base + reverse("csat_good", args=[token])
    bad = base + reverse("csat_bad", args=[token])
    with translation.override(survey.language):
        subject = _("[%(number)s] How did we do?") % {"number": t.number}
        body = "\n".join([
            _("Your ticket %(number)s “%(subject)s” was resolved.") % {"number": t.number, "subject": t.subject},
            _("How satisfied are you? One click answers:"),
            "", _("Good: %(url)s") % {"url": good}, _("Bad: %(url)s") % {"url": bad}, "",
            _("The links work once and expire in %(days)d days.") % {"days": settings.SD_CSAT_TOKEN_DAYS},
        ])  # fmt: skip
    return subject, body


def send_due(now: dt.datetime | None = None, limit: int = 200) -> int:
    """Mail every survey whose delay has passed; returns how many went to the outbox."""
    from openmsp.integrations.base import Notification
    from openmsp.notifications import outbox

    now = now or timezone.now()
    sent = 0
    due = list(
        CsatSurvey.objects.filter(status=S.PENDING, send_after__lte=now)
        .order_by("send_after")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        with transaction.atomic():
            survey = CsatSurvey.objects.select_related("ticket", "client").get(pk=pk)
            if not survey.recipient:
                CsatSurvey.objects.filter(pk=pk, status=S.PENDING).update(status=S.SKIPPED)
                continue
            token = secrets.token_urlsafe(24)
            won = CsatSurvey.objects.filter(pk=pk, status=S.PENDING).update(
                status=S.SENT, token_hash=hash_token(token), sent_at=now,
                expires_at=now + dt.timedelta(days=settings.SD_CSAT_TOKEN_DAYS),
            )  # fmt: skip
            if not won:
                continue  # another scheduler run took it, or a reopen cancelled it
            subject, body = _mail_text(survey, token)
            outbox.enqueue(
                notification=Notification(
                    idempotency_key=f"csat:{pk}", client_id=survey.client_id,
                    client_name=survey.client.name, subject=subject, status="csat",
                    recipients=[survey.recipient], body=body,
                ),
                channel=None, origin="csat",
            )  # fmt: skip
            sent += 1
    return sent


# --- answering (no login: the token is the credential) ------------------------------------------
def _live(token: str, now: dt.datetime) -> QuerySet[CsatSurvey]:
    return CsatSurvey.objects.filter(token_hash=hash_token(token), expires_at__gt=now)


@transaction.atomic
def answer(*, token: str, rating: str, ip: str = "") -> CsatSurvey:
    if rating not in CsatSurvey.Rating.values:
        raise ValidationFailed("The answer is good or bad.", field="rating")
    now = timezone.now()
    survey = _live(token, now).select_for_update().first()
    if survey is None or survey.status != S.SENT:
        raise SurveyGone("This survey link was already used or has expired.")
    survey.status, survey.rating, survey.answered_at = S.ANSWERED, rating, now
    survey.save(update_fields=["status", "rating", "answered_at", "updated_at"])
    audit.record(actor=Actor.system("csat link"), action="csat.answered", obj=survey,
                 after={"rating": rating, "ticket": survey.ticket_id})  # fmt: skip
    return survey


@transaction.atomic
def add_comment(*, token: str, comment: str) -> CsatSurvey:
    """Once, after the click, while the link has not expired."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed("Write a comment, or just close this page.", field="comment")
    if len(comment) > COMMENT_LIMIT or "\x00" in comment:
        raise ValidationFailed(f"A comment is at most {COMMENT_LIMIT} characters.", field="comment")  # fmt: skip
    survey = _live(token, timezone.now()).select_for_update().first()
    if survey is None or survey.status != S.ANSWERED or survey.comment:
        raise SurveyGone("This survey link was already used or has expired.")
    survey.comment = comment
    survey.save(update_fields=["comment", "updated_at"])
    audit.record(actor=Actor.system("csat link"), action="csat.commented", obj=survey)
    return survey


def survey_by_token(token: str) -> CsatSurvey | None:
    return _live(token, timezone.now()).select_related("ticket").first()


# --- results (staff) ------------------------------------------------------------------------
@dataclass
class Results:
    by_technician: list[dict[str, Any]] = field(default_factory=list)
    by_client: list[dict[str, Any]] = field(default_factory=list)
    weeks: list[dict[str, Any]] = field(default_factory=list)
    recent: list[CsatSurvey] = field(default_factory=list)


def _score(good: int, bad: int) -> float | None:
    return round(100 * good / (good + bad), 1) if good + bad else None


def answered_visible_to(actor: Actor) -> QuerySet[CsatSurvey]:
    if actor.user is not None and not actor.user.is_msp_staff:
        return CsatSurvey.objects.none()
    return scope(actor, CsatSurvey.objects.filter(status=S.ANSWERED))


def results(actor: Actor, *, client_id: int | None = None, since: dt.date | None = None) -> Results:
    qs = answered_visible_to(actor)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if since is not None:
        qs = qs.filter(answered_at__date__gte=since)
    tally = {"good": Count("pk", filter=Q(rating="good")), "bad": Count("pk", filter=Q(rating="bad"))}  # fmt: skip
    out = Results()
    rows: Any = qs.values("technician_id", "technician__email", "technician__full_name")
    for r in rows.annotate(**tally).order_by("technician__email"):
        name = r["technician__full_name"] or r["technician__email"] or _("Unassigned")
        out.by_technician.append({"id": r["technician_id"], "name": name, "good": r["good"], "bad": r["bad"], "score": _score(r["good"], r["bad"])})  # fmt: skip
    rows = qs.values("client_id", "client__name")
    for r in rows.annotate(**tally).order_by("client__name"):
        out.by_client.append({"id": r["client_id"], "name": r["client__name"], "good": r["good"], "bad": r["bad"], "score": _score(r["good"], r["bad"])})  # fmt: skip
    weeks: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for at, rating in qs.values_list("answered_at", "rating").order_by("answered_at")[:20000]:
        day = timezone.localtime(at).date()
        monday = day - dt.timedelta(days=day.weekday())
        weeks[monday][0 if rating == "good" else 1] += 1
    out.weeks = [{"week": w.isoformat(), "good": g, "bad": b, "score": _score(g, b)} for w, (g, b) in sorted(weeks.items())]  # fmt: skip
    out.recent = list(qs.select_related("ticket", "client", "technician").order_by("-answered_at")[:20])  # fmt: skip
    return out


# Sentences above that the UI shows translated.
UI_MESSAGES = (
    gettext_noop("Sampling is a percentage from 0 to 100."),
    gettext_noop("The delay is 0 to 43200 minutes (30 days)."),
    gettext_noop("Write a comment, or just close this page."),
    gettext_noop("Only the MSP's staff change survey settings."),
)
