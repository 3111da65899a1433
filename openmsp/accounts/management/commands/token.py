"""`openmsp token create|revoke|list`: API tokens from the command line (e.g. for automation)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from openmsp.accounts import actions
from openmsp.accounts.models import ApiToken, User
from openmsp.accounts.queries import tokens_visible_to, users_visible_to
from openmsp.core.actor import Actor
from openmsp.core.errors import OpenMSPError

CLI = Actor.system("cli")


class Command(BaseCommand):
    help = "Create, revoke and list API tokens."
    # Scripts capture `token create`; the start-up hints of `openmsp check` would only be noise.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create = sub.add_parser("create", help="Create a token; prints only the token.")
        create.add_argument("--user", required=True, help="Email address of the token's owner.")
        create.add_argument("--name", default="cli", help="A name to recognise the token by.")
        create.add_argument(
            "--read-only", action="store_true", help="The token may not change anything."
        )
        create.add_argument("--expires", type=_days, metavar="DAYS", help="Expire after DAYS days.")
        revoke = sub.add_parser("revoke", help="Revoke the token with this prefix.")
        revoke.add_argument("prefix", help="The 8 characters after 'omsp_' in the token.")
        listing = sub.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("--user", help="Only the tokens of this email address.")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['subcommand']}")
        try:
            handler(**options)
        except OpenMSPError as exc:
            raise CommandError(exc.message) from None

    def _create(
        self, *, user: str, name: str, read_only: bool, expires: int | None, **_: Any
    ) -> None:
        owner = _user(user)
        _token, secret = actions.create_token(
            actor=CLI, user=owner, name=name, read_only=read_only, expires_days=expires
        )
        self.stdout.write(secret)

    def _revoke(self, *, prefix: str, **_: Any) -> None:
        prefix = prefix.removeprefix("omsp_").split("_", 1)[0]
        token = tokens_visible_to(CLI).filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"No token has the prefix '{prefix}'. See `openmsp token list`.")
        if token.revoked_at is not None:
            self.stdout.write(f"Token {prefix} was already revoked.")
            return
        actions.revoke_token(actor=CLI, token=token)
        self.stdout.write(f"Token {prefix} ({token.name}, {token.user.email}) is revoked.")

    def _list(self, *, user: str | None, **_: Any) -> None:
        tokens = tokens_visible_to(CLI).order_by("user__email", "-created_at")
        if user:
            tokens = tokens.filter(user=_user(user))
        rows = [_row(token) for token in tokens]
        if not rows:
            self.stdout.write("No tokens.")
            return
        header = ("PREFIX", "USER", "NAME", "ACCESS", "EXPIRES", "LAST USED", "STATUS")
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )


def _days(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{raw}' is not a whole number of days.") from None
    if not 1 <= value <= 3650:
        raise argparse.ArgumentTypeError("Expiry must be between 1 and 3650 days.")
    return value


def _user(email: str) -> User:
    user = users_visible_to(CLI).filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No account has the email address '{email}'.")
    return user


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def _row(token: ApiToken) -> tuple[str, ...]:
    if token.revoked_at is not None:
        status = "revoked"
    elif not token.is_usable():
        status = "expired"
    else:
        status = "active"
    access = "read-only" if token.read_only else "read-write"
    return (
        token.prefix,
        token.user.email,
        token.name,
        access,
        _when(token.expires_at) if token.expires_at else "never",
        _when(token.last_used_at),
        status,
    )
