"""API shapes of people and API tokens. No output here carries a password or a token hash."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import Field, field_validator

from openmsp.accounts.models import ApiToken, User
from openmsp.accounts.roles import Role
from openmsp.core.apiutils import MAX_ID, InputSchema, ListQuery, Page, omittable

Language = Literal["ko", "en"]


def _email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError(f"'{value}' is not an email address.") from None
    return value.lower()


class UserInvite(InputSchema):
    email: str = Field(max_length=254, examples=["minji.kim@msp.example"])
    role: Role = Field(examples=["technician"])
    full_name: str = Field("", max_length=200, examples=["Kim Minji"])
    client_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Required for client roles, empty for MSP staff."
    )
    all_clients: bool = Field(True, description="Technicians: false limits them to assigned_client_ids.")  # fmt: skip
    assigned_client_ids: list[int] = Field(default_factory=list, max_length=1000)
    language: Language = "ko"

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return _email(value)

    @field_validator("assigned_client_ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        return _check_ids(value)


def _check_ids(value: list[int]) -> list[int]:
    if any(not 1 <= pk <= MAX_ID for pk in value):
        raise ValueError("Client ids are positive whole numbers.")
    return value


class UserPatch(InputSchema):
    """Profile fields (anyone for themselves) and role fields (whoever manages the user)."""

    full_name: str = omittable(max_length=200)
    language: Language = omittable()
    time_zone: str = omittable(min_length=1, max_length=64, description="IANA name.")
    role: Role = omittable()
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    all_clients: bool = omittable()
    assigned_client_ids: list[int] = omittable(max_length=1000)
    is_active: bool = omittable(description="false: the person can no longer sign in.")

    @field_validator("assigned_client_ids")
    @classmethod
    def _ids(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else _check_ids(value)


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    client_id: int | None
    all_clients: bool
    assigned_client_ids: list[int] = Field(description="Technicians limited to some clients.")
    language: str
    time_zone: str
    is_active: bool
    date_joined: dt.datetime
    last_login: dt.datetime | None

    @staticmethod
    def resolve_assigned_client_ids(obj: User) -> list[int]:
        return sorted(c.pk for c in obj.assigned_clients.all())


class UserQuery(ListQuery):
    role: Role | None = None
    client_id: int | None = Field(None, ge=1, le=MAX_ID, description="Users of this client.")
    is_active: bool | None = None
    q: str | None = Field(None, max_length=200, description="Part of the email or name.")
    ordering: Literal["email", "-email", "full_name", "-full_name", "date_joined", "-date_joined"] = "email"  # fmt: skip


class UserPage(Page[UserOut]):
    pass


class TokenIn(InputSchema):
    name: str = Field(
        min_length=1, max_length=100, description="What the token is for.", examples=["backup job"]
    )
    read_only: bool = Field(False, description="A read-only token is refused every change (403).")
    expires_days: int | None = Field(None, ge=1, le=3650, description="Empty: never expires.")


class TokenOut(Schema):
    id: int
    user_id: int
    user_email: str
    name: str
    prefix: str = Field(description="Identifies the token in logs; not a secret.")
    read_only: bool
    active: bool = Field(description="Neither revoked nor expired.")
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    last_used_ip: str

    @staticmethod
    def resolve_user_email(obj: ApiToken) -> str:
        return obj.user.email

    @staticmethod
    def resolve_active(obj: ApiToken) -> bool:
        return obj.is_usable()


class TokenCreated(TokenOut):
    secret: str = Field(
        description="Send as `Authorization: Bearer <secret>`. Shown this once, never again."
    )


class TokenQuery(ListQuery):
    active: bool | None = Field(None, description="true: usable tokens; false: revoked or expired.")
    user_id: int | None = Field(None, ge=1, le=MAX_ID)
    ordering: Literal["-created_at", "created_at", "name", "-name", "-last_used_at", "last_used_at"] = "-created_at"  # fmt: skip


class TokenPage(Page[TokenOut]):
    pass
