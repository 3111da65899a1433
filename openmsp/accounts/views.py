"""Sign-in pages, the profile (language, time zone, authenticators, API tokens), people and roles,
and the security settings. Thin: parse a form, call a query or an action, render."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmsp.accounts import actions, forms, login
from openmsp.accounts.mfa import (
    base32_secret,
    confirmed_devices,
    mfa_enforced_for,
    qr_svg,
    session_is_fully_signed_in,
)
from openmsp.accounts.models import SecurityPolicy, User
from openmsp.accounts.queries import get_user_visible, tokens_visible_to, users_visible_to
from openmsp.accounts.roles import Perm
from openmsp.core import ratelimit
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound, OpenMSPError, RateLimited
from openmsp.web.actor import actor_of

View = Callable[..., HttpResponseBase]
_NEXT_KEY = "openmsp_login_next"
USERS_PER_PAGE = 25


def signed_in(view: View) -> View:
    """Both factors done (the middleware also redirects a half-signed-in session)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not session_is_fully_signed_in(request):
            return redirect("login_otp")
        return view(request, *args, **kwargs)

    return wrapper


def _me(request: HttpRequest) -> User:
    """The signed-in person (views using it are behind `signed_in`)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _require_any(request: HttpRequest, *perms: str) -> None:
    user: Any = request.user
    if not any(user.has_perm_to(perm) for perm in perms):
        raise Forbidden(_("Your role does not allow this."))


def _remember_language(response: HttpResponse, language: str) -> None:
    """The language cookie follows the account, so the sign-in page keeps it after signing out."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


# --- Signing in and out -------------------------------------------------------------------


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _pop_next(request: HttpRequest) -> str:
    return str(request.session.pop(_NEXT_KEY, "")) or resolve_url(settings.LOGIN_REDIRECT_URL)


def _pending_step(user: Any) -> str:
    return "login_otp" if confirmed_devices(user).exists() else "totp_setup"


def _login_page(
    request: HttpRequest, form: forms.LoginForm, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {
        "form": form,
        "error": error,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "idle": request.GET.get("idle") == "1",
        "idle_minutes": settings.OPENMSP_SESSION_IDLE_MINUTES,
        "expired": request.GET.get("expired") == "1",
        "max_hours": settings.SESSION_COOKIE_AGE // 3600,
    }
    return render(request, "accounts/login.html", context, status=status)


def _wait(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many sign-in attempts: try again in %(minutes)d minute.",
        "Too many sign-in attempts: try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _too_many(response: HttpResponse, wait: int) -> HttpResponse:
    response["Retry-After"] = str(wait)
    return response


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        if session_is_fully_signed_in(request):
            return redirect(_safe_next(request, request.GET.get("next")))
        return redirect(_pending_step(request.user))
    form = forms.LoginForm(request.POST or None)
    if request.method != "POST":
        return _login_page(request, form)
    if not form.is_valid():
        return _login_page(request, form, status=422)
    wait = ratelimit.check(request, account=form.cleaned_data["username"])
    if wait:
        return _too_many(_login_page(request, form, status=429, error=_wait(wait)), wait)
    result = login.check_password(
        request, email=form.cleaned_data["username"], password=form.cleaned_data["password"]
    )
    if result.user is None:
        form.add_error(None, result.error)
        return _login_page(request, form, status=429 if result.locked else 422)
    next_url = _safe_next(request, request.POST.get("next"))
    login.start_session(request, result.user)
    if session_is_fully_signed_in(request):
        response = redirect(next_url)
    else:
        request.session[_NEXT_KEY] = next_url
        response = redirect(_pending_step(result.user))
    _remember_language(response, result.user.language)
    return response


@sensitive_post_parameters("otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def login_otp(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.is_authenticated:
        return redirect("login")
    if session_is_fully_signed_in(request):
        return redirect(_pop_next(request))
    if not confirmed_devices(user).exists():
        return redirect("totp_setup")
    form = forms.OtpForm(request.POST or None)
    status, wait = 200, 0
    if request.method == "POST":
        status = 422
        wait = ratelimit.check(request, account=user.email)
        if wait:
            form = forms.OtpForm()
            form.add_error(None, _wait(wait))
            status = 429
        elif form.is_valid():
            result = login.check_otp(request, user=user, token=form.cleaned_data["otp_token"])
            if result.ok:
                return redirect(_pop_next(request))
            if result.locked:
                login.sign_out(request, reason="locked")
                return _login_page(request, forms.LoginForm(), status=429, error=result.error)
            form.add_error("otp_token", result.error)
    response = render(request, "accounts/login_otp.html", {"form": form}, status=status)
    return _too_many(response, wait) if wait else response


@sensitive_post_parameters("otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: during sign-in when staff must have one, or from the profile."""
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    pending = not session_is_fully_signed_in(request)
    if pending and confirmed_devices(user).exists():
        return redirect("login_otp")  # adding a device needs the one already there
    actor = Actor(user=user, via="session")
    device = actions.start_totp_enrolment(actor=actor, user=user)
    form = forms.TotpSetupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                actions.confirm_totp_device(
                    actor=actor,
                    device=device,
                    token=form.cleaned_data["otp_token"],
                    name=form.cleaned_data["name"],
                )
            except OpenMSPError as exc:
                forms.add_error(form, exc)
                status = exc.status_code
            else:
                if pending:
                    login.complete_sign_in(request, user, device=device)
                    return redirect(_pop_next(request))
                django_otp.login(request, device)
                messages.success(request, _("Two-factor sign-in is set up."))
                return redirect("profile")
    context = {
        "form": form,
        "pending": pending,
        "qr_svg": qr_svg(device),
        "secret": base32_secret(device),
        "enforced": mfa_enforced_for(user),
    }
    return render(request, "accounts/totp_setup.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    login.sign_out(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --- Passwords: reset link, invitation link, change -----------------------------------------


class _InvalidIs422:
    """Django's form views answer 200 to an invalid form; ours answer 422 like every other form."""

    def form_invalid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 422
        return response


class PasswordResetView(_InvalidIs422, auth_views.PasswordResetView):
    form_class = forms.ResetRequestForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"

    def form_valid(self, form: Any) -> HttpResponse:
        wait = ratelimit.check(request=self.request, account=form.cleaned_data["email"])
        if wait:
            form.add_error(None, _wait(wait))
            page = self.render_to_response(self.get_context_data(form=form), status=429)
            return _too_many(page, wait)
        # Links are built on OPENMSP_SITE_URL, never on the Host header of the request.
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(_InvalidIs422, auth_views.PasswordResetConfirmView):
    form_class = forms.ChoosePasswordForm
    template_name = "accounts/password_reset_confirm.html"


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class InvitationAcceptView(_InvalidIs422, auth_views.PasswordResetConfirmView):
    form_class = forms.ChoosePasswordForm
    template_name = "accounts/invitation_accept.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Sign in with it now."))
        return response


@signed_in
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = forms.ChangePasswordForm(_me(request), request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password is changed."))
        return redirect("profile")
    status = 422 if form.is_bound else 200
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


# --- Profile: name, language, time zone, authenticators, API tokens -------------------------


def _profile_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    user: Any = request.user
    actor = actor_of(request)
    context = {
        "profile_form": forms.ProfileForm(
            initial={
                "full_name": user.full_name,
                "language": user.language,
                "time_zone": user.time_zone,
            }
        ),
        "token_form": forms.TokenCreateForm(),
        "tokens": tokens_visible_to(actor).filter(user=user).order_by("-created_at"),
        "devices": confirmed_devices(user),
        "mfa_enforced": mfa_enforced_for(user),
        **extra,
    }
    return render(request, "accounts/profile.html", context, status=status)


@signed_in
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _profile_page(request)
    form = forms.ProfileForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, profile_form=form, status=422)
    try:
        user = actions.update_profile(
            actor=actor_of(request),
            user=_me(request),
            changes=form.cleaned_data,
        )
    except OpenMSPError as exc:
        _me(request).refresh_from_db()
        forms.add_error(form, exc)
        return _profile_page(request, profile_form=form, status=exc.status_code)
    with translation.override(user.language):
        messages.success(request, _("Your profile is saved."))
    response = redirect("profile")
    _remember_language(response, user.language)
    return response


@signed_in
@never_cache
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = forms.TokenCreateForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, token_form=form, status=422)
    try:
        token, secret = actions.create_token(
            actor=actor_of(request),
            user=_me(request),
            name=form.cleaned_data["name"],
            read_only=form.cleaned_data["read_only"],
            expires_days=form.cleaned_data["expires_days"],
        )
    except OpenMSPError as exc:
        forms.add_error(form, exc)
        response = _profile_page(request, token_form=form, status=exc.status_code)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    # Rendered, not redirected: the secret is never stored anywhere, not even in the session.
    return _profile_page(request, new_token=token, new_secret=secret)


def _post_only(request: HttpRequest) -> HttpResponse | None:
    # Object routes look the object up first: an outsider gets 404 whatever the method.
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


@signed_in
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Own tokens from the profile; MSP owners and admins may revoke anyone's."""
    actor = actor_of(request)
    token = tokens_visible_to(actor).filter(pk=token_id).first()
    if token is None:
        raise Http404
    if (refused := _post_only(request)) is not None:
        return refused
    try:
        actions.revoke_token(actor=actor, token=token)
    except OpenMSPError as exc:
        raise Forbidden(exc.message) from None
    messages.success(request, _("The token %(prefix)s is revoked.") % {"prefix": token.prefix})
    if token.user_id == _me(request).pk:
        return redirect("profile")
    return redirect("user_detail", user_id=token.user_id)


@signed_in
@sensitive_post_parameters("password")
@require_POST
def totp_remove(request: HttpRequest) -> HttpResponse:
    device_id = request.POST.get("device", "")
    devices = confirmed_devices(_me(request))
    device = devices.filter(pk=int(device_id)).first() if device_id.isdigit() else None
    if device is None:
        raise Http404
    form = forms.PasswordConfirmForm(_me(request), request.POST)
    status = 422
    if form.is_valid():
        try:
            actions.remove_totp_device(actor=actor_of(request), device=device)
        except OpenMSPError as exc:
            forms.add_error(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("The authenticator is removed."))
            return redirect("profile")
    return _profile_page(request, remove_form=form, remove_device_id=device.pk, status=status)


# --- People and roles ---------------------------------------------------------------------


def _visible_user(request: HttpRequest, user_id: int) -> User:
    try:
        user = get_user_visible(actor_of(request), user_id)
    except NotFound:
        raise Http404 from None
    _require_any(request, Perm.CLIENT_USER_MANAGE, Perm.AUDIT_VIEW)
    return user


def _filtered_users(request: HttpRequest, actor: Actor) -> tuple[forms.UserFilterForm, Any]:
    filters = forms.UserFilterForm(actor, request.GET)
    filters.is_valid()
    wanted = filters.cleaned_data
    users = users_visible_to(actor)
    if wanted.get("q"):
        users = users.filter(Q(email__icontains=wanted["q"]) | Q(full_name__icontains=wanted["q"]))
    if wanted.get("role"):
        users = users.filter(role=wanted["role"])
    if wanted.get("client"):
        users = users.filter(client=wanted["client"])
    return filters, users.order_by("email")


@signed_in
@require_http_methods(["GET"])
def user_list(request: HttpRequest) -> HttpResponse:
    _require_any(request, Perm.CLIENT_USER_MANAGE, Perm.AUDIT_VIEW)
    actor = actor_of(request)
    filters, users = _filtered_users(request, actor)
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"filters": filters, "page": page, "can_invite": _can_invite(request, actor)}
    return render(request, "accounts/user_list.html", context)


def _can_invite(request: HttpRequest, actor: Actor) -> bool:
    user: Any = request.user
    managing = user.has_perm_to(Perm.CLIENT_USER_MANAGE) or user.has_perm_to(Perm.STAFF_MANAGE)
    return managing and bool(forms.role_choices(actor))


@signed_in
@require_http_methods(["GET", "POST"])
def user_invite(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not _can_invite(request, actor):
        raise Forbidden(_("Your role does not allow this."))
    form = forms.InviteForm(
        actor, request.POST or None, initial={"language": _me(request).language}
    )
    status = 422 if form.is_bound else 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            user = actions.invite_user(
                actor=actor,
                email=data["email"],
                role=data["role"],
                full_name=data["full_name"],
                client=data["client"],
                all_clients=data["all_clients"],
                assigned_clients=data["assigned_clients"],
                language=data["language"],
            )
        except OpenMSPError as exc:
            forms.add_error(form, exc)
            status = exc.status_code
        else:
            _send_invitation(request, actor, user)
            return redirect("user_detail", user_id=user.pk)
    return render(request, "accounts/user_invite.html", {"form": form}, status=status)


def _send_invitation(request: HttpRequest, actor: Actor, user: User) -> None:
    # The account stays even if the mail server fails: the invitation can be sent again later.
    try:
        actions.send_invitation(actor=actor, user=user)
    except OpenMSPError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("An invitation was e-mailed to %(email)s.") % {"email": user.email}
        )


def _detail_page(
    request: HttpRequest, target: User, *, status: int = 200, **extra: Any
) -> HttpResponse:
    actor = actor_of(request)
    context = {
        "target": target,
        "can_edit": actions.can_manage_user(actor, target),
        "profile_form": forms.ProfileForm(
            initial={
                "full_name": target.full_name,
                "language": target.language,
                "time_zone": target.time_zone,
            }
        ),
        "role_form": forms.RoleForm(
            actor,
            initial={
                "role": target.role,
                "client": target.client_id,
                "all_clients": target.all_clients,
                "assigned_clients": list(target.assigned_clients.all()),
                "is_active": target.is_active,
            },
        ),
        "device_count": TOTPDevice.objects.filter(user=target, confirmed=True).count(),
        "invitation_pending": not target.has_usable_password(),
        **extra,
    }
    return render(request, "accounts/user_detail.html", context, status=status)


@signed_in
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    target = _visible_user(request, user_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return _detail_page(request, target)


def _editable_user(request: HttpRequest, user_id: int) -> User:
    target = _visible_user(request, user_id)
    if not actions.can_manage_user(actor_of(request), target):
        raise Forbidden(_("Your role does not allow changing this person."))
    return target


@signed_in
def user_profile_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    target = _editable_user(request, user_id)
    if (refused := _post_only(request)) is not None:
        return refused
    form = forms.ProfileForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            actions.update_profile(actor=actor_of(request), user=target, changes=form.cleaned_data)
        except OpenMSPError as exc:
            target.refresh_from_db()
            forms.add_error(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("Saved."))
            return redirect("user_detail", user_id=target.pk)
    return _detail_page(request, target, profile_form=form, status=status)


@signed_in
def user_role_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    target = _editable_user(request, user_id)
    if (refused := _post_only(request)) is not None:
        return refused
    actor = actor_of(request)
    form = forms.RoleForm(actor, request.POST)
    status = 422
    if form.is_valid():
        changes = {key: form.cleaned_data[key] for key in actions.ROLE_FIELDS}
        try:
            actions.change_role(actor=actor, user=target, changes=changes)
        except OpenMSPError as exc:
            target.refresh_from_db()
            forms.add_error(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("Role and access saved."))
            return redirect("user_detail", user_id=target.pk)
    return _detail_page(request, target, role_form=form, status=status)


@signed_in
def user_invitation_send(request: HttpRequest, user_id: int) -> HttpResponse:
    target = _editable_user(request, user_id)
    if (refused := _post_only(request)) is not None:
        return refused
    _send_invitation(request, actor_of(request), target)
    return redirect("user_detail", user_id=target.pk)


@signed_in
def user_mfa_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """For a lost phone: remove every authenticator; the person sets one up at next sign-in."""
    target = _editable_user(request, user_id)
    if (refused := _post_only(request)) is not None:
        return refused
    actor = actor_of(request)
    with transaction.atomic():
        for device in TOTPDevice.objects.filter(user=target):
            actions.remove_totp_device(actor=actor, device=device)
    messages.success(
        request, _("Two-factor sign-in of %(email)s is reset.") % {"email": target.email}
    )
    return redirect("user_detail", user_id=target.pk)


@signed_in
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    target = _editable_user(request, user_id)
    if (refused := _post_only(request)) is not None:
        return refused
    actions.unlock_user(actor=actor_of(request), user=target)
    messages.success(request, _("%(email)s can sign in again.") % {"email": target.email})
    return redirect("user_detail", user_id=target.pk)


# --- Security settings --------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    _require_any(request, Perm.SETTINGS_MANAGE)
    policy = SecurityPolicy.current()
    form = forms.SecurityPolicyForm(
        request.POST or None, initial={"mfa_required_for_staff": policy.mfa_required_for_staff}
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                actions.set_security_policy(
                    actor=actor_of(request),
                    mfa_required_for_staff=form.cleaned_data["mfa_required_for_staff"],
                )
            except OpenMSPError as exc:
                forms.add_error(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("Security settings saved."))
                return redirect("settings")
    context = {
        "form": form,
        "env_mfa": settings.OPENMSP_MFA_REQUIRED_FOR_STAFF,
        "lockout_threshold": settings.OPENMSP_LOCKOUT_THRESHOLD,
        "lockout_minutes": settings.OPENMSP_LOCKOUT_MINUTES,
        "idle_minutes": settings.OPENMSP_SESSION_IDLE_MINUTES,
        "session_hours": settings.SESSION_COOKIE_AGE // 3600,
        "password_min_length": _password_min_length(),
        "server_rows": _server_rows(),
    }
    return render(request, "accounts/settings.html", context, status=status)


def _server_rows() -> list[tuple[Any, Any, str]]:
    """Audit retention and the installation's basics, as the environment set them (read-only)."""
    engine = settings.DATABASES["default"]["ENGINE"]
    return [
        (_("Keep audit records (days; PIPA: at least 730)"), settings.OPENMSP_AUDIT_RETENTION_DAYS, "OPENMSP_AUDIT_RETENTION_DAYS"),
        (_("Keep permission changes (days; PIPA: at least 1095)"), settings.OPENMSP_AUDIT_PERMISSION_RETENTION_DAYS, "OPENMSP_AUDIT_PERMISSION_RETENTION_DAYS"),
        (_("Database"), "PostgreSQL" if "postgresql" in engine else "SQLite", "OPENMSP_DATABASE_URL"),
        (_("Address of this installation"), settings.SITE_URL, "OPENMSP_SITE_URL"),
        (_("Outgoing mail"), settings.EMAIL_HOST or _("written to files in the data directory"), "OPENMSP_SMTP_HOST"),
        (_("Default language"), settings.LANGUAGE_CODE, "OPENMSP_LANGUAGE"),
        (_("Default time zone"), settings.TIME_ZONE, "OPENMSP_TIME_ZONE"),
        (_("Largest request body (bytes)"), settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "OPENMSP_MAX_REQUEST_BYTES"),
    ]  # fmt: skip


def _password_min_length() -> int | None:
    validators: list[Any] = settings.AUTH_PASSWORD_VALIDATORS
    for validator in validators:
        if validator["NAME"].endswith("MinimumLengthValidator"):
            return int(validator.get("OPTIONS", {}).get("min_length", 8))
    return None
