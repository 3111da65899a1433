"""What agents send (docs/agent-protocol.md), validated before anything is stored.

Unknown fields are ignored, so a newer agent can talk to this server; every known field is checked,
and the first problem becomes a 422 naming it (`samples.3.v`).
"""

from __future__ import annotations

import math
import re
import uuid
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

METRIC_NAME = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
LABEL_KEY = re.compile(r"^[a-z_][a-z0-9_]*$")
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
MAX_LABELS = 16


def _finite_number(value: Any) -> Any:
    # JSON true/false must not become 1.0/0.0, and NaN/Infinity (which Python's json accepts) are
    # not measurements.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if not math.isfinite(value):
        raise ValueError("must be a finite number (not NaN or infinity)")
    return float(value)


FiniteNumber = Annotated[float, BeforeValidator(_finite_number)]


class AgentSchema(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EnrollIn(AgentSchema):
    enrollment_token: str = Field(min_length=1, max_length=200)
    machine_id: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)
    hostname: str = Field(min_length=1, max_length=253, pattern=PRINTABLE)
    os: str = Field("", max_length=100, pattern=PRINTABLE)
    agent_version: str = Field("", max_length=50, pattern=PRINTABLE)


class SampleIn(AgentSchema):
    t: AwareDatetime
    m: str = Field(min_length=1, max_length=100, pattern=METRIC_NAME)
    v: FiniteNumber
    l: dict[str, str] = Field(default_factory=dict)  # noqa: E741  (the protocol's name)

    @field_validator("l")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        if len(labels) > MAX_LABELS:
            raise ValueError(f"at most {MAX_LABELS} labels")
        for key, value in labels.items():
            if len(key) > 50 or not LABEL_KEY.match(key):
                raise ValueError(f"label name {key!r} must be lowercase letters, digits and _")
            if len(value) > 200 or "\x00" in value:
                raise ValueError(f"label {key!r} must be at most 200 characters without NUL")
        return labels


class CommandResultIn(AgentSchema):
    exit_code: int | None = Field(None, ge=-(2**31), le=2**31 - 1)
    stdout: str = ""
    stderr: str = ""
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    truncated: bool = False
    refused: str | None = None
    # Not in protocol v1: an agent may say outright that it killed the script at its timeout.
    timed_out: bool | None = None


class BatchCommandResultIn(CommandResultIn):
    id: uuid.UUID


class BatchIn(AgentSchema):
    batch_id: uuid.UUID
    seq: int = Field(ge=0, le=2**63 - 1)
    sent_at: AwareDatetime
    samples: list[SampleIn] = Field(default_factory=list)
    inventory: dict[str, Any] | None = None
    check_results: list[Any] = Field(default_factory=list)
    command_results: list[BatchCommandResultIn] = Field(default_factory=list)
    agent: dict[str, Any] | None = None
    # The version of the local-check definitions the agent runs (None: it has none yet).
    checks_version: str | None = Field(None, max_length=100)
