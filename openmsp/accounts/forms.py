"""Forms of the sign-in pages, the profile and the people/roles pages: validation only."""

from __future__ import annotations

import functools
import unicodedata
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from openmsp.accounts import actions
from openmsp.accounts.models import User
from openmsp.accounts.roles import ASSIGNABLE_ROLES, CLIENT_ROLES, Role
from openmsp.core import audit
from openmsp.core.actor import Actor
from openmsp.core.errors import OpenMSPError
from openmsp.tenants.models import Client
from openmsp.tenants.queries import clients_visible_to


def add_error(form: forms.Form, exc: OpenMSPError) -> None:
    """Show a domain error next to the field it names, or above the form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def language_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


def time_zone_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)


# --- Signing in ---------------------------------------------------------------------------


class LoginForm(forms.Form):
    # Named `username` (not `email`) so password managers and the browser tests find it.
    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OtpForm(forms.Form):
    otp_token = forms.RegexField(
        label=_("Code from your authenticator app"),
        regex=r"^\s*(\d\s*){6,8}$",
        error_messages={"invalid": _("Enter the 6-digit code your authenticator app shows.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "size": 8,
            }
        ),
    )


class TotpSetupForm(OtpForm):
    name = forms.CharField(
        label=_("Name of this authenticator"),
        max_length=64,
        required=False,
        help_text=_("For example “work phone”; helps you tell devices apart later."),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your current password."))
        return password


class ResetRequestForm(auth_forms.PasswordResetForm):
    """Also reaches invited people who never chose a password (their invitation may have expired)."""

    def get_users(self, email: str) -> Iterator[User]:
        wanted = _fold(email)
        for user in User.objects.filter(email__iexact=email.strip(), is_active=True):
            if _fold(user.email) == wanted:  # as Django does: no look-alike Unicode matches
                yield user

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        user = args[2]["user"]
        # In the person's own language, not the language of the page the request came from.
        with translation.override(user.language):
            super().send_mail(*args, **kwargs)
        audit.record(
            actor=Actor.system("web"),
            action="user.password_reset_requested",
            obj=user,
            category=audit.CATEGORY_ACCESS,
        )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text.strip()).casefold()


class _SavesThroughAction:
    """Saves through accounts.actions.set_password, which audits it and lifts a lock-out."""

    via = "link"
    user: User
    cleaned_data: dict[str, Any]

    def save(self, commit: bool = True) -> User:
        return actions.set_password(
            actor=Actor(user=self.user, via=self.via),
            user=self.user,
            password=self.cleaned_data["new_password1"],
        )


class ChoosePasswordForm(_SavesThroughAction, auth_forms.SetPasswordForm):  # type: ignore[type-arg]
    """The form behind the reset and invitation links."""


class ChangePasswordForm(_SavesThroughAction, auth_forms.PasswordChangeForm):
    via = "session"


# --- Profile and API tokens ---------------------------------------------------------------


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    language = language_field()
    time_zone = time_zone_field()


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    read_only = forms.BooleanField(
        label=_("Read-only"), required=False, help_text=_("The token can read but change nothing.")
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("Leave empty for a token that does not expire."),
    )


# --- People and roles ---------------------------------------------------------------------


def role_choices(actor: Actor) -> list[tuple[str, str]]:
    """The roles *actor* may hand out, in the table's order."""
    user = actor.user
    allowed = (
        frozenset(Role.values) if user is None else ASSIGNABLE_ROLES.get(user.role, frozenset())
    )
    return [(str(role.value), str(role.label)) for role in Role if role.value in allowed]


class _AssignmentFields(forms.Form):
    role = forms.ChoiceField(label=_("Role"))
    client = forms.ModelChoiceField(
        label=_("Client"),
        queryset=Client.objects.none(),
        required=False,
        help_text=_("Client admins and client users belong to one client."),
    )
    all_clients = forms.BooleanField(
        label=_("Technician sees all clients"),
        required=False,
        initial=True,
        help_text=_("Untick to limit a technician to the clients chosen below."),
    )
    assigned_clients = forms.ModelMultipleChoiceField(
        label=_("Clients of this technician"),
        queryset=Client.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clients = clients_visible_to(actor).order_by("name")
        fields: Any = self.fields
        fields["role"].choices = role_choices(actor)
        # Offer the least powerful role first-hand: a forgotten select must not mint an owner.
        fields["role"].initial = fields["role"].choices[-1][0] if fields["role"].choices else None
        fields["client"].queryset = clients
        fields["assigned_clients"].queryset = clients
        me = actor.user
        if me is not None and me.is_client_user:
            fields["client"].initial = me.client_id
            fields["client"].empty_label = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role in CLIENT_ROLES and not data.get("client") and "client" not in self.errors:
            self.add_error("client", _("Choose the client this person belongs to."))
        if role not in CLIENT_ROLES:
            data["client"] = None
        if role != Role.TECHNICIAN:
            data["all_clients"], data["assigned_clients"] = True, []
        return data


class InviteForm(_AssignmentFields):
    email = forms.EmailField(label=_("Email"), max_length=254)
    full_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    language = language_field()

    field_order = ["email", "full_name", "role", "client", "all_clients", "assigned_clients"]


class RoleForm(_AssignmentFields):
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("Deactivated people cannot sign in.")
    )


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    role = forms.ChoiceField(label=_("Role"), required=False)
    client = forms.ModelChoiceField(
        label=_("Client"), queryset=Client.objects.none(), required=False
    )

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["role"].choices = [("", _("All roles")), *Role.choices]
        fields["client"].queryset = clients_visible_to(actor).order_by("name")
        fields["client"].empty_label = _("All clients")


class SecurityPolicyForm(forms.Form):
    mfa_required_for_staff = forms.BooleanField(
        label=_("Require two-factor sign-in for all MSP staff"),
        required=False,
        help_text=_(
            "Staff without an authenticator are asked to set one up the next time they sign in."
        ),
    )
