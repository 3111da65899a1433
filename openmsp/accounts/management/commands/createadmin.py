"""`openmsp createadmin`: the first MSP owner of a new installation. Safe to run on every deploy."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from openmsp.accounts import actions
from openmsp.accounts.queries import users_visible_to
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.core.errors import OpenMSPError

CLI = Actor.system("cli")


class Command(BaseCommand):
    help = (
        "Create an MSP owner account unless one with that email exists. Reads --email/--password or "
        "OPENMSP_ADMIN_EMAIL/OPENMSP_ADMIN_PASSWORD; without a password, generates and prints one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", help="Email address (default: $OPENMSP_ADMIN_EMAIL).")
        parser.add_argument("--password", help="Password (default: $OPENMSP_ADMIN_PASSWORD).")
        parser.add_argument("--name", default="", help="Full name shown in the interface.")

    def handle(self, *args: Any, **options: Any) -> None:
        email = (options["email"] or os.environ.get("OPENMSP_ADMIN_EMAIL", "")).strip().lower()
        if not email:
            raise CommandError(
                "Give the admin's email address with --email or OPENMSP_ADMIN_EMAIL."
            )
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"'{email}' is not an email address.") from None
        if users_visible_to(CLI).filter(email__iexact=email).exists():
            self.stdout.write(f"An account for {email} already exists; nothing changed.")
            return
        password = options["password"] or os.environ.get("OPENMSP_ADMIN_PASSWORD", "")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(18)
        try:
            actions.invite_user(
                actor=CLI,
                email=email,
                role=Role.MSP_OWNER,
                full_name=options["name"],
                password=password,
            )
        except OpenMSPError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Created the MSP owner {email}.")
        if generated:
            self.stdout.write(f"Password: {password}")
            self.stdout.write("Sign in and change it on your profile page.")
