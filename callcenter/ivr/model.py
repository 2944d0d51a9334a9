"""The flow language: a flow is an entry node id and a mapping of named nodes.

Every node has a ``type``; the fields that name another node (``next``, ``open``, menu options,
``found`` ...) are *targets*. :func:`node_targets` lists them with their field path so that the
validator can check them and point at the offending value.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DIGITS = "0123456789*#"
Digit = Annotated[str, Field(pattern=r"^[0-9*#]$")]
NodeId = Annotated[str, Field(min_length=1)]
Prompt = Annotated[str, Field(min_length=1, description="Asterisk sound name, e.g. vm-options or custom/welcome")]
Prompts = Prompt | list[Prompt]
VariableName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlayNode(_Strict):
    """Play one or more prompts; a key in ``interrupt_digits`` stops playback and is stored."""

    type: Literal["play"]
    prompt: Prompts
    interrupt_digits: Annotated[str, Field(pattern=r"^[0-9*#]*$")] = ""
    store: VariableName | None = None
    next: NodeId


class MenuNode(_Strict):
    """Play a prompt and route on one key; retry on no input or an invalid key."""

    type: Literal["menu"]
    prompt: Prompts
    options: dict[Digit, NodeId] = Field(min_length=1)
    timeout_s: float = Field(5.0, gt=0, le=60)
    retries: int = Field(2, ge=0, le=10, description="Extra attempts after the first one.")
    invalid_prompt: Prompt | None = None
    no_input_prompt: Prompt | None = None
    invalid: NodeId | None = Field(None, description="Where to go after too many invalid keys (default: hang up).")
    no_input: NodeId | None = Field(None, description="Where to go after too many silences (default: hang up).")


class CollectNode(_Strict):
    """Read several digits into a variable, checked by length, a pattern or the Luhn checksum."""

    type: Literal["collect"]
    prompt: Prompt
    store: VariableName
    min_digits: int = Field(1, ge=1, le=64)
    max_digits: int = Field(ge=1, le=64)
    terminator: Literal["#", "*", ""] = Field(
        "#", description="Key that ends the entry early; '' reads until max_digits or the timeout."
    )
    timeout_s: float = Field(6.0, gt=0, le=60)
    pattern: str | None = Field(None, description="Regular expression the whole entry must match.")
    luhn: bool = False
    retries: int = Field(2, ge=0, le=10)
    invalid_prompt: Prompt | None = None
    no_input_prompt: Prompt | None = None
    next: NodeId
    invalid: NodeId | None = None
    no_input: NodeId | None = None

    @model_validator(mode="after")
    def _lengths(self) -> CollectNode:
        if self.min_digits > self.max_digits:
            raise ValueError("min_digits is greater than max_digits")
        return self


class SayNode(_Strict):
    """Speak a value computed by a CEL expression (digits, number, letters, date or time)."""

    type: Literal["say"]
    kind: Literal["digits", "number", "alpha", "date", "time", "datetime"]
    value: str = Field(description="CEL expression, e.g. vars.account or caller.number")
    prompt: Prompt | None = Field(None, description="Played before the value.")
    next: NodeId


class BranchCase(_Strict):
    when: str = Field(description="CEL over caller, customer, vars and time")
    goto: NodeId


class BranchNode(_Strict):
    """Go to the target of the first condition that holds, else to ``else``."""

    type: Literal["branch"]
    cases: list[BranchCase] = Field(min_length=1)
    else_: NodeId = Field(alias="else")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LookupCustomerNode(_Strict):
    """Identify the caller by their number or by a collected account number."""

    type: Literal["lookup_customer"]
    by: Literal["caller_number", "account"] = "caller_number"
    variable: VariableName | None = Field(None, description="Variable holding the account (by: account).")
    found: NodeId
    not_found: NodeId

    @model_validator(mode="after")
    def _account_variable(self) -> LookupCustomerNode:
        if self.by == "account" and self.variable is None:
            raise ValueError("by: account needs 'variable' naming the collected account")
        return self


class Holidays(_Strict):
    country: str | None = Field(None, description="ISO country code for the holidays package, e.g. GB")
    subdiv: str | None = Field(None, description="Region within the country, e.g. ENG or CA")
    dates: list[str] = Field(default_factory=list, description="Extra closed days, YYYY-MM-DD")


class Schedule(_Strict):
    timezone: str
    weekly: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[str]] = Field(
        description="Opening ranges per weekday, e.g. mon: ['08:00-12:00', '13:00-18:00']"
    )
    holidays: Holidays = Field(default_factory=Holidays)


class HoursNode(_Strict):
    """Route on whether the centre is open now."""

    type: Literal["hours"]
    schedule: Schedule
    open: NodeId
    closed: NodeId


class SetNode(_Strict):
    """Set flow variables: ``values`` literally, ``expressions`` from CEL."""

    type: Literal["set"]
    values: dict[VariableName, str] = Field(default_factory=dict)
    expressions: dict[VariableName, str] = Field(default_factory=dict)
    next: NodeId


class QueueNode(_Strict):
    """Put the caller in an Asterisk queue, then route on how they left it."""

    type: Literal["queue"]
    queue: str
    priority: int = Field(0, ge=0, le=100)
    timeout_s: int = Field(300, ge=1, le=7200)
    announce_position: bool = False
    announce_wait: bool = False
    long_wait_s: int | None = Field(None, ge=1, description="Estimated wait above which 'long_wait' is taken.")
    long_wait: NodeId | None = None
    answered: NodeId | None = Field(None, description="After the agent hangs up, if the caller stays (survey).")
    timeout: NodeId | None = None
    full: NodeId | None = None
    empty: NodeId | None = None
    left: NodeId | None = Field(None, description="The caller pressed a key to leave the queue.")

    @model_validator(mode="after")
    def _long_wait_pair(self) -> QueueNode:
        if (self.long_wait_s is None) != (self.long_wait is None):
            raise ValueError("long_wait_s and long_wait go together")
        return self


class TransferNode(_Strict):
    """Hand the call to an extension or an external number through the dialplan."""

    type: Literal["transfer"]
    to: Annotated[str, Field(pattern=r"^\+?[0-9*#]+$")]
    context: str | None = None
    prompt: Prompt | None = None


class VoicemailNode(_Strict):
    """Send the caller to a voicemail box."""

    type: Literal["voicemail"]
    mailbox: Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]+(@[0-9A-Za-z_-]+)?$")]
    prompt: Prompt | None = None


class CallbackNode(_Strict):
    """Offer a callback, confirm the caller's number or take another one, and book it."""

    type: Literal["callback"]
    offer_prompt: Prompt
    accept_digit: Digit = "1"
    confirm_prompt: Prompt = Field(description="Played after the number: press 1 to confirm, 2 to enter another.")
    enter_prompt: Prompt
    done_prompt: Prompt | None = None
    queue: str | None = Field(None, description="Queue whose agents call back.")
    timeout_s: float = Field(5.0, gt=0, le=60)
    next: NodeId
    declined: NodeId


class SurveyQuestion(_Strict):
    id: VariableName
    prompt: Prompt


class SurveyNode(_Strict):
    """Ask questions answered 1 to 5; a score at or under ``low_score`` is flagged for a supervisor."""

    type: Literal["survey"]
    questions: list[SurveyQuestion] = Field(min_length=1)
    low_score: int = Field(2, ge=1, le=5)
    timeout_s: float = Field(5.0, gt=0, le=60)
    retries: int = Field(1, ge=0, le=5)
    invalid_prompt: Prompt | None = None
    thanks_prompt: Prompt | None = None
    next: NodeId


class SubflowNode(_Strict):
    """Run another flow; continue at ``next`` when it reaches a ``return`` node."""

    type: Literal["subflow"]
    flow: str
    next: NodeId


class ReturnNode(_Strict):
    """End a subflow and continue in the flow that called it."""

    type: Literal["return"]


class GotoNode(_Strict):
    """Jump to a node of this flow, or to the entry of another flow."""

    type: Literal["goto"]
    target: NodeId | None = None
    flow: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> GotoNode:
        if (self.target is None) == (self.flow is None):
            raise ValueError("goto needs exactly one of 'target' or 'flow'")
        return self


class HangupNode(_Strict):
    """Optionally say goodbye, then hang up."""

    type: Literal["hangup"]
    prompt: Prompt | None = None


Node = Annotated[
    PlayNode
    | MenuNode
    | CollectNode
    | SayNode
    | BranchNode
    | LookupCustomerNode
    | HoursNode
    | SetNode
    | QueueNode
    | TransferNode
    | VoicemailNode
    | CallbackNode
    | SurveyNode
    | SubflowNode
    | ReturnNode
    | GotoNode
    | HangupNode,
    Field(discriminator="type"),
]
NODE_TYPES = (
    "play menu collect say branch lookup_customer hours set queue transfer voicemail callback survey subflow "
    "return goto hangup"
).split()


class Flow(_Strict):
    """One IVR flow: where the call starts and the nodes it can visit."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "callcenter IVR flow"})

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    entry: NodeId
    nodes: dict[NodeId, Node] = Field(min_length=1)


def node_targets(node: BaseModel) -> list[tuple[tuple[str | int, ...], str]]:
    """Every (field path inside the node, target node id) this node can go to."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(node, MenuNode):
        out += [(("options", digit), target) for digit, target in node.options.items()]
    if isinstance(node, BranchNode):
        out += [(("cases", i, "goto"), case.goto) for i, case in enumerate(node.cases)]
        out.append((("else",), node.else_))
    for name in (
        "next",
        "invalid",
        "no_input",
        "found",
        "not_found",
        "open",
        "closed",
        "long_wait",
        "answered",
        "timeout",
        "full",
        "empty",
        "left",
        "declined",
        "target",
    ):
        value = getattr(node, name, None)
        if isinstance(value, str):
            out.append(((name,), value))
    return out


def ends_call_by_default(node: BaseModel) -> bool:
    """True when the node can finish the session without going to another node of this flow."""
    if isinstance(node, HangupNode | TransferNode | VoicemailNode | ReturnNode):
        return True
    if isinstance(node, GotoNode):
        return node.flow is not None
    if isinstance(node, MenuNode | CollectNode):
        return node.invalid is None or node.no_input is None
    if isinstance(node, QueueNode):
        # A queue without a continuation ends the IVR: the dialplan runs Queue() and the call lives on there.
        return any(getattr(node, name) is None for name in ("answered", "timeout", "full", "empty", "left"))
    # A subflow may end the call inside the other flow (hang up, queue, transfer).
    return isinstance(node, SubflowNode)
