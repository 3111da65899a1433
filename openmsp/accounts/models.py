"""People who sign in (MSP staff and client users) and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openmsp.accounts.roles import CLIENT_ROLES, Role, is_staff_role, role_allows


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser):
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    client = models.ForeignKey(
        "tenants.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="users",
        help_text=_("Client users belong to exactly one client."),
    )
    all_clients = models.BooleanField(
        _("all clients"),
        default=True,
        help_text=_("Technicians only: unticked, they see only the clients assigned below."),
    )
    assigned_clients = models.ManyToManyField(
        "tenants.Client", blank=True, related_name="assigned_technicians"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=[("ko", "한국어"), ("en", "English")], default="ko"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Seoul")
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                name="client_role_has_client",
                condition=(
                    models.Q(role__in=sorted(CLIENT_ROLES), client__isnull=False)
                    | (~models.Q(role__in=sorted(CLIENT_ROLES)) & models.Q(client__isnull=True))
                ),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_msp_staff(self) -> bool:
        return is_staff_role(self.role)

    @property
    def is_client_user(self) -> bool:
        return self.role in CLIENT_ROLES

    def has_perm_to(self, perm: str) -> bool:
        return self.is_active and role_allows(self.role, perm)

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


TOKEN_PREFIX = "omsp"  # noqa: S105 - a public marker, not a secret


def hash_token_secret(secret: str) -> str:
    # Tokens are 32 random bytes: a fast hash is enough (no dictionary to attack), and lookups stay
    # cheap on every API request.
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


class ApiToken(models.Model):
    """A bearer token: shown once, stored as a hash, scoped like its owner or read-only."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    read_only = models.BooleanField(_("read-only"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (full token, prefix, hash). Only the hash and prefix are stored."""
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        full = f"{TOKEN_PREFIX}_{prefix}_{secret}"
        return full, prefix, hash_token_secret(full)

    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class SecurityPolicy(models.Model):
    """Installation-wide sign-in policy, edited by the MSP owner (one row)."""

    mfa_required_for_staff = models.BooleanField(
        _("require two-factor sign-in for all MSP staff"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "security policy"

    @classmethod
    def current(cls) -> SecurityPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy
