"""Who is acting: the one argument every action and every tenant-scoped query takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openmsp.accounts.models import ApiToken, User


@dataclass(frozen=True)
class Actor:
    """A user acting through a session or an API token, or the platform itself (user is None)."""

    user: User | None
    via: str = "session"  # session | token | cli | system
    token: ApiToken | None = None

    @property
    def read_only(self) -> bool:
        return self.token is not None and self.token.read_only

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def label(self) -> str:
        if self.user is None:
            return f"system:{self.via}"
        if self.token is not None:
            return f"{self.user.email} (token {self.token.prefix})"
        return self.user.email

    @classmethod
    def system(cls, via: str = "system") -> Actor:
        return cls(user=None, via=via)
