"""The settings of each kind of check, validated by pydantic: one model per kind.

A check stores its kind-specific settings as JSON; `parse_settings(kind, data)` turns that JSON into
the kind's model (defaults filled, unknown keys refused) or raises SpecError naming the field, e.g.
`settings.port`. The same models validate API input, UI forms and what the poller reads back.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

AGENT_KINDS = (
    "agent_metric", "agent_service", "agent_process", "agent_port", "agent_log", "agent_script",
)  # fmt: skip
KINDS = ("icmp", "tcp", "http", "tls", "dns", "snmp", *AGENT_KINDS)
Kind = Literal[
    "icmp", "tcp", "http", "tls", "dns", "snmp",
    "agent_metric", "agent_service", "agent_process", "agent_port", "agent_log", "agent_script",
]  # fmt: skip
_HOST = re.compile(
    r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$"
)
_OID = re.compile(r"^\.?\d+(\.\d+)+$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$")
SECRET_KEYS = frozenset({"community", "auth_key", "priv_key"})
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
MASK = "********"


class SpecError(ValueError):
    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class LatencyLimits(Spec):
    latency_warning_ms: float | None = Field(None, gt=0, le=600_000)
    latency_critical_ms: float | None = Field(None, gt=0, le=600_000)


class IcmpSpec(LatencyLimits):
    count: int = Field(3, ge=1, le=20, description="Echo requests per run.")
    interval_ms: int = Field(200, ge=10, le=2000, description="Pause between requests.")
    loss_warning_percent: float = Field(1, ge=0, le=100)
    loss_critical_percent: float = Field(100, ge=0, le=100)


class TcpSpec(LatencyLimits):
    port: int = Field(ge=1, le=65535)


class HttpSpec(LatencyLimits):
    method: Literal["GET", "HEAD", "POST", "PUT", "OPTIONS"] = "GET"
    expected_status: list[int] = Field(
        default_factory=list, max_length=20, description="Empty: any 2xx or 3xx answer is fine."
    )
    expected_text: str = Field("", max_length=1000, description="Must appear in the body.")
    follow_redirects: bool = True
    max_redirects: int = Field(5, ge=0, le=20)
    headers: dict[str, str] = Field(default_factory=dict, max_length=30)
    body: str = Field("", max_length=10_000)
    verify_tls: bool = True

    @field_validator("expected_status")
    @classmethod
    def _statuses(cls, value: list[int]) -> list[int]:
        for code in value:
            if not 100 <= code <= 599:
                raise ValueError(f"{code} is not an HTTP status code (100-599).")
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"'{name}' is not a valid header name.")
            if "\r" in text or "\n" in text or len(text) > 4000:
                raise ValueError(f"The value of header '{name}' must be one line.")
        return value


class TlsSpec(Spec):
    port: int = Field(443, ge=1, le=65535)
    server_name: str = Field("", max_length=253, description="SNI name; empty: the target.")
    warning_days: int = Field(30, ge=0, le=3650)
    critical_days: int = Field(7, ge=0, le=3650)
    verify: bool = Field(True, description="An untrusted chain or a wrong name is critical.")

    @model_validator(mode="after")
    def _order(self) -> TlsSpec:
        if self.critical_days > self.warning_days:
            raise ValueError("critical_days must not be more than warning_days.")
        return self


DnsType = Literal["A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT", "CAA"]


class DnsSpec(LatencyLimits):
    server: str = Field("", max_length=253, description="Resolver to ask; empty: the system's.")
    port: int = Field(53, ge=1, le=65535)
    record_type: DnsType = "A"
    expected: list[str] = Field(
        default_factory=list, max_length=50, description="Empty: any answer is fine."
    )
    match: Literal["equals", "contains"] = "equals"
    use_tcp: bool = False

    @field_validator("server")
    @classmethod
    def _server(cls, value: str) -> str:
        if value and not is_host(value):
            raise ValueError(f"'{value}' is not a host name or IP address.")
        return value


class SnmpSpec(Spec):
    port: int = Field(161, ge=1, le=65535)
    version: Literal["2c", "3"] = "2c"
    community: str = Field("", max_length=200)
    username: str = Field("", max_length=100)
    security_level: Literal["noAuthNoPriv", "authNoPriv", "authPriv"] = "authPriv"
    auth_protocol: Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"] = "SHA"
    auth_key: str = Field("", max_length=200)
    priv_protocol: Literal["DES", "AES", "AES192", "AES256"] = "AES"
    priv_key: str = Field("", max_length=200)
    metric: Literal["uptime", "interface", "oid"] = "uptime"
    if_index: int | None = Field(None, ge=1, le=2**31 - 1)
    oid: str = Field("", max_length=200)
    warning: float | None = None
    critical: float | None = None
    direction: Literal["above", "below"] = Field(
        "above", description="Which side of the thresholds is bad."
    )

    @model_validator(mode="after")
    def _consistent(self) -> SnmpSpec:
        if self.version == "2c" and not self.community:
            raise SpecError("SNMP v2c needs a community.", field="community")
        if self.version == "3":
            self._check_v3()
        if self.metric == "interface" and self.if_index is None:
            raise SpecError("An interface check needs if_index.", field="if_index")
        if self.metric == "oid" and not _OID.match(self.oid):
            raise SpecError("Give the OID in dotted numbers, e.g. 1.3.6.1.2.1.1.3.0.", field="oid")
        return self

    def _check_v3(self) -> None:
        if not self.username:
            raise SpecError("SNMP v3 needs a username.", field="username")
        if self.security_level != "noAuthNoPriv" and len(self.auth_key) < 8:
            raise SpecError("The v3 auth key needs at least 8 characters.", field="auth_key")
        if self.security_level == "authPriv" and len(self.priv_key) < 8:
            raise SpecError("The v3 privacy key needs at least 8 characters.", field="priv_key")


# --- Agent checks: evaluated by the host's agent (openmsp_agent.checks), target is descriptive ---

_UNIT = re.compile(r"^[A-Za-z0-9:_.@\-\\]{1,200}$")
_PROCESS = re.compile(r"^[^\x00-\x1f/]{1,100}$")


class Levels(Spec):
    warning: float | None = Field(None, ge=0)
    critical: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _order(self) -> Levels:
        if self.warning is not None and self.critical is not None and self.warning > self.critical:
            raise SpecError(
                "The warning level must not be above the critical one.", field="warning"
            )
        return self


class AgentMetricSpec(Levels):
    metric: Literal["cpu", "memory", "disk", "load1", "load5", "load15"]
    mount: str = Field("/", max_length=500, pattern=r"^/[^\x00-\x1f]*$")


class AgentServiceSpec(Spec):
    unit: str = Field(max_length=200)

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        if not _UNIT.match(value) or value.startswith("-"):
            raise ValueError("Give a systemd unit name such as nginx.service.")
        return value


class AgentProcessSpec(Spec):
    name: str = Field(max_length=100, pattern=_PROCESS.pattern)
    min_count: int = Field(1, ge=1, le=10_000)


class AgentPortSpec(Spec):
    port: int = Field(ge=1, le=65535)
    address: str = Field("127.0.0.1", max_length=100)

    @field_validator("address")
    @classmethod
    def _local(cls, value: str) -> str:
        try:
            if not ipaddress.ip_address(value).is_loopback and value not in ("0.0.0.0", "::"):  # noqa: S104 - where the agent connects on its own host
                raise ValueError
        except ValueError:
            raise ValueError("Give a local address such as 127.0.0.1 or ::1.") from None
        return value


class AgentLogSpec(Spec):
    path: str = Field(max_length=1000, pattern=r"^/[^\x00-\x1f]*$")
    pattern: str = Field(min_length=1, max_length=1000)
    warning_count: int | None = Field(None, ge=1)
    critical_count: int | None = Field(1, ge=1)

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"Not a regular expression: {exc}.") from None
        return value


class AgentScriptSpec(Spec):
    command: str = Field(min_length=1, max_length=4000, pattern=r"^[^\x00]*$")


SPECS: dict[str, type[Spec]] = {
    "icmp": IcmpSpec,
    "tcp": TcpSpec,
    "http": HttpSpec,
    "tls": TlsSpec,
    "dns": DnsSpec,
    "snmp": SnmpSpec,
    "agent_metric": AgentMetricSpec,
    "agent_service": AgentServiceSpec,
    "agent_process": AgentProcessSpec,
    "agent_port": AgentPortSpec,
    "agent_log": AgentLogSpec,
    "agent_script": AgentScriptSpec,
}


def parse_settings(kind: str, data: Any) -> Spec:
    spec = SPECS.get(kind)
    if spec is None:
        raise SpecError(f"'{kind}' is not a kind of check ({', '.join(KINDS)}).", field="kind")
    if not isinstance(data, dict):
        raise SpecError("settings must be a JSON object.", field="settings")
    try:
        return spec.model_validate(data)
    except SpecError as exc:
        raise SpecError(exc.message, field=f"settings.{exc.field}") from None
    except ValidationError as exc:
        raise _spec_error(exc) from None


def _spec_error(exc: ValidationError) -> SpecError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, SpecError):  # raised inside a model validator: it names its own field
        return SpecError(cause.message, field=f"settings.{cause.field}")
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return SpecError(message, field=f"settings.{where}" if where else "settings")


def is_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return bool(_HOST.match(text))
    return True


def check_target(kind: str, target: str) -> str:
    """The target normalised for its kind: a URL for http, a host name or IP for the others."""
    target = target.strip()
    if kind in AGENT_KINDS:  # what the check watches, for people; the agent reads the settings
        if len(target) > 200 or any(ord(c) < 32 for c in target):
            raise SpecError("At most 200 printable characters.", field="target")
        return target
    if kind == "http":
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SpecError("Give a URL starting with http:// or https://.", field="target")
        return target
    if not is_host(target):
        raise SpecError(f"'{target}' is not a host name or IP address.", field="target")
    return target


def target_hosts(kind: str, target: str, spec: Spec) -> list[str]:
    """Every host a check of this kind will connect to (for the private-address rule)."""
    if kind in AGENT_KINDS:
        return []
    if kind == "http":
        return [urlsplit(target).hostname or ""]
    if isinstance(spec, DnsSpec):
        return [spec.server] if spec.server else []
    return [target]


def masked(kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as shown to people: secrets replaced by MASK (never sent back out)."""
    shown = dict(settings)
    for key in SECRET_KEYS & shown.keys():
        if shown[key]:
            shown[key] = MASK
    if kind == "http" and isinstance(shown.get("headers"), dict):
        shown["headers"] = {
            name: MASK if name.lower() in SECRET_HEADERS else value
            for name, value in shown["headers"].items()
        }
    return shown


def unmask(kind: str, new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """A settings edit that sends MASK back keeps the stored secret."""
    merged = dict(new)
    for key in SECRET_KEYS & merged.keys():
        if merged[key] == MASK:
            merged[key] = old.get(key, "")
    if kind == "http" and isinstance(merged.get("headers"), dict):
        stored = old.get("headers") or {}
        merged["headers"] = {
            name: stored.get(name, "") if value == MASK else value
            for name, value in merged["headers"].items()
        }
    return merged
