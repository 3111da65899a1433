"""Roles and what each may do: one rule table, read by every permission check.

MSP staff roles see every client, except a technician limited to chosen clients. Client roles see
only their own client. Which clients an actor sees is decided in `openmsp.tenants.queries`; this
table decides what they may *do* there.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MSP_OWNER = "msp_owner", _("MSP owner")
    MSP_ADMIN = "msp_admin", _("MSP admin")
    TECHNICIAN = "technician", _("Technician")
    AUDITOR = "auditor", _("Auditor")
    CLIENT_ADMIN = "client_admin", _("Client admin")
    CLIENT_USER = "client_user", _("Client user")


STAFF_ROLES = frozenset({Role.MSP_OWNER, Role.MSP_ADMIN, Role.TECHNICIAN, Role.AUDITOR})
CLIENT_ROLES = frozenset({Role.CLIENT_ADMIN, Role.CLIENT_USER})


class Perm:
    """Capabilities. A name says what, the table below says who."""

    CLIENT_MANAGE = "client.manage"  # create, rename, offboard clients
    SITE_MANAGE = "site.manage"
    CONTACT_MANAGE = "contact.manage"
    CONTRACT_VIEW = "contract.view"
    CONTRACT_MANAGE = "contract.manage"
    CALENDAR_MANAGE = "calendar.manage"
    STAFF_MANAGE = "staff.manage"  # invite staff, change staff roles
    CLIENT_USER_MANAGE = "client_user.manage"  # invite/manage users of a client
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    SETTINGS_MANAGE = "settings.manage"
    WORK = "work"  # day-to-day operational writes (later: tickets, checks)
    ASSET_MANAGE = "asset.manage"  # add/edit/retire assets, tags, lifecycle dates
    AGENT_ENROLL = "agent.enroll"  # create/revoke enrollment tokens, revoke agents
    COMMAND_RUN = "command.run"  # run commands and scripts on managed hosts
    NOTIFY_MANAGE = "notify.manage"  # notification channels, routing rules, test sends
    ALERTS_MANAGE = "alerts.manage"  # maintenance windows, dependencies, Alertmanager tokens
    ONCALL_MANAGE = "oncall.manage"  # on-call schedules, layers and overrides (MSP staff only)


_ALL = frozenset(
    value
    for name, value in vars(Perm).items()
    if not name.startswith("_") and isinstance(value, str)
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.MSP_OWNER: _ALL,
    Role.MSP_ADMIN: _ALL - {Perm.SETTINGS_MANAGE},
    Role.TECHNICIAN: frozenset(
        {
            Perm.SITE_MANAGE,
            Perm.CONTACT_MANAGE,
            Perm.CONTRACT_VIEW,
            Perm.CLIENT_USER_MANAGE,
            Perm.WORK,
            Perm.ASSET_MANAGE,
            Perm.AGENT_ENROLL,
            Perm.COMMAND_RUN,
            Perm.NOTIFY_MANAGE,
            Perm.ALERTS_MANAGE,
            Perm.ONCALL_MANAGE,
        }
    ),
    Role.AUDITOR: frozenset({Perm.CONTRACT_VIEW, Perm.AUDIT_VIEW, Perm.AUDIT_EXPORT}),
    Role.CLIENT_ADMIN: frozenset(
        {
            Perm.SITE_MANAGE,
            Perm.CONTACT_MANAGE,
            Perm.CONTRACT_VIEW,
            Perm.CLIENT_USER_MANAGE,
            Perm.WORK,
            Perm.NOTIFY_MANAGE,
        }
    ),
    Role.CLIENT_USER: frozenset({Perm.WORK}),
}

# Which roles an actor of a given role may hand out.
ASSIGNABLE_ROLES: dict[str, frozenset[str]] = {
    Role.MSP_OWNER: frozenset(Role.values),
    Role.MSP_ADMIN: frozenset(Role.values) - {Role.MSP_OWNER},
    Role.TECHNICIAN: CLIENT_ROLES,
    Role.CLIENT_ADMIN: CLIENT_ROLES,
}


def role_allows(role: str, perm: str) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())


def is_staff_role(role: str) -> bool:
    return role in STAFF_ROLES
