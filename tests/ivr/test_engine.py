"""The engine drives a call through the port: every node type, hang-ups anywhere, events, resumes."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from callcenter.ivr.engine import IvrEngine, UnknownFlow
from callcenter.ivr.port import CallerHungUp
from callcenter.ivr.services import IvrEvent, IvrServices, KeptCallbacks, KeptSurveys
from callcenter.ivr.simulate import FixedClock, FixtureCustomers, ScriptedCaller, parse_digits
from tests.ivr.flowkit import TUESDAY_10_NY, catalog, compiled

MENU = """
name: menu
entry: welcome
nodes:
  welcome:
    type: play
    prompt: [hello, welcome]
    interrupt_digits: "9"
    store: skipped
    next: main
  main:
    type: menu
    prompt: vm-options
    options: {1: account, 2: sales, "*": main, "#": bye}
    retries: 1
    invalid_prompt: pbx-invalid
    no_input_prompt: vm-sorry
  account:
    type: collect
    prompt: agent-pass
    store: account
    min_digits: 4
    max_digits: 6
    retries: 1
    invalid_prompt: pbx-invalid
    next: support
  support:
    type: queue
    queue: support
    priority: 3
    timeout_s: 120
  sales:
    type: queue
    queue: sales
  bye:
    type: hangup
    prompt: vm-goodbye
"""


def engine_for(*texts: str, **services) -> tuple[IvrEngine, list[IvrEvent]]:
    events: list[IvrEvent] = []
    services.setdefault("clock", FixedClock(TUESDAY_10_NY))
    return IvrEngine(catalog(*texts), IvrServices(on_event=events.append, **services)), events


def caller(digits: str = "", number: str = "+15551230001", **variables: str) -> ScriptedCaller:
    port = ScriptedCaller(number, parse_digits(digits), channel_variables=variables)
    port.linkedid = "1795430000.12"
    port.channel = "Local/s@customer-00000000;1"
    return port


async def test_menu_account_and_queue_hand_the_call_to_the_dialplan() -> None:
    engine, events = engine_for(MENU)
    port = caller("1,4321#")
    result = await engine.run(port, "menu")
    assert result.path == ["welcome", "main", "account", "support"]
    assert result.outcome.as_dict() == {"action": "queue", "queue": "support", "priority": 3, "timeout_s": 120}
    assert result.inputs == [
        {"node": "main", "kind": "menu", "value": "1", "result": "ok"},
        {"node": "account", "kind": "digits", "value": "4321", "result": "ok"},
    ]
    assert port.prompts == ["hello", "welcome", "vm-options", "agent-pass"]
    # What the dialplan reads after the AGI returns (the capture's IVR_ACCOUNT / IVR_QUEUE).
    assert port.variables["IVR_ACCOUNT"] == "4321"
    assert port.variables["IVR_QUEUE"] == "support"
    assert port.variables["QUEUE_PRIO"] == "3"
    assert port.variables["IVR_ACTION"] == "queue"
    assert "IVR_RESUME" not in port.variables
    kinds = [(e.kind, e.node) for e in events]
    assert kinds[0] == ("ivr_started", None)
    assert ("node_entered", "account") in kinds
    assert kinds[-1] == ("ivr_ended", None)
    assert {e.linkedid for e in events} == {"1795430000.12"}
    typed = [e.data for e in events if e.kind == "input_collected"]
    assert typed[1] == {"kind": "digits", "value": "4321", "result": "ok"}
    assert events[-1].data["outcome"]["queue"] == "support"
    assert events[-1].data["path"] == result.path


async def test_interrupting_a_prompt_stores_the_key() -> None:
    engine, _ = engine_for(MENU)
    port = caller("9,2")
    result = await engine.run(port, "menu")
    assert port.prompts[0] == "hello"  # "welcome" never played: 9 cut the first prompt
    assert result.variables == {"skipped": "9"}
    assert result.outcome.details["queue"] == "sales"


async def test_invalid_then_missing_keys_retry_then_hang_up_politely() -> None:
    engine, _ = engine_for(MENU)
    port = caller("5,")
    result = await engine.run(port, "menu")
    assert [i["result"] for i in result.inputs] == ["invalid", "no_input"]
    assert port.prompts == ["hello", "welcome", "vm-options", "pbx-invalid", "vm-options"]
    assert result.outcome.as_dict() == {"action": "hangup", "reason": "no_input"}
    assert port.hung_up


async def test_star_repeats_the_menu_and_hash_says_goodbye() -> None:
    engine, _ = engine_for(MENU)
    port = caller("*,#")
    result = await engine.run(port, "menu")
    assert result.path == ["welcome", "main", "main", "bye"]
    assert result.outcome.action == "hangup"
    assert port.prompts[-1] == "vm-goodbye"


async def test_collect_too_short_twice_ends_the_call() -> None:
    engine, _ = engine_for(MENU)
    result = await engine.run(caller("1,12#,1234567#"), "menu")
    # 1234567 is cut at max_digits=6 like GET DATA, and 123456 is a valid entry
    assert result.inputs[1:] == [
        {"node": "account", "kind": "digits", "value": "12", "result": "invalid"},
        {"node": "account", "kind": "digits", "value": "123456", "result": "ok"},
    ]
    assert result.outcome.action == "queue"


@pytest.mark.parametrize(
    ("digits", "node"),
    [("h", "welcome"), ("1,h", "account"), ("1,12#,h", "account")],
    ids=["during-first-prompt", "during-digit-collection", "during-retry"],
)
async def test_caller_hanging_up_ends_cleanly_with_the_path(digits: str, node: str) -> None:
    engine, events = engine_for(MENU)
    result = await engine.run(caller(digits), "menu")
    assert result.outcome.as_dict() == {"action": "caller_hangup", "node": node}
    assert result.path[-1] == node
    assert events[-1].kind == "ivr_ended"
    assert events[-1].data["outcome"] == {"action": "caller_hangup", "node": node}


class HangsUpDuring(ScriptedCaller):
    """A caller who hangs up while a given prompt plays."""

    def __init__(self, prompt: str, **kwargs) -> None:
        super().__init__("+15551230001", [], **kwargs)
        self.fatal = prompt

    async def play(self, prompt: str, interrupt_digits: str = "") -> str | None:
        if prompt == self.fatal:
            self.hung_up = True
            raise CallerHungUp
        return await super().play(prompt, interrupt_digits)


QUEUE = """
name: q
entry: queue
nodes:
  queue:
    type: queue
    queue: support
    announce_position: true
    announce_wait: true
    long_wait_s: 600
    long_wait: offer
    full: offer
    timeout: sorry
  offer:
    type: callback
    offer_prompt: cb-offer
    confirm_prompt: cb-confirm
    enter_prompt: vm-enter-num-to-call
    done_prompt: cb-done
    queue: support
    next: bye
    declined: queue
  sorry:
    type: hangup
    prompt: vm-sorry
  bye:
    type: hangup
"""


async def test_hang_up_during_a_plain_prompt_and_during_queue_announcements() -> None:
    engine, _ = engine_for(MENU)
    result = await engine.run(HangsUpDuring("welcome"), "menu")
    assert result.outcome.as_dict() == {"action": "caller_hangup", "node": "welcome"}
    engine, _ = engine_for(QUEUE)
    port = HangsUpDuring("queue-callswaiting", channel_variables={"QUEUE_WAITING_COUNT(support)": "4"})
    result = await engine.run(port, "q")
    assert result.outcome.as_dict() == {"action": "caller_hangup", "node": "queue"}
    assert "IVR_ACTION" not in port.variables


async def test_queue_announces_position_and_wait_and_saves_state_for_the_resume() -> None:
    engine, _ = engine_for(QUEUE)
    port = caller(**{"QUEUE_WAITING_COUNT(support)": "4", "QUEUEHOLDTIME": "250"})
    result = await engine.run(port, "q")
    assert port.prompts == [
        "queue-thereare",
        "say:number:4",
        "queue-callswaiting",
        "queue-holdtime",
        "say:number:4",
        "queue-minutes",
    ]
    assert result.outcome.details["resume"] == "q/queue"
    assert port.variables["IVR_RESUME"] == "q/queue"
    next_in_line = caller(**{"QUEUE_WAITING_COUNT(support)": "0"})
    await engine.run(next_in_line, "q")
    assert next_in_line.prompts == ["queue-youarenext"]


async def test_long_wait_offers_a_callback_on_the_callers_number() -> None:
    callbacks = KeptCallbacks()
    engine, _ = engine_for(QUEUE, callbacks=callbacks)
    port = caller("1,1", QUEUEHOLDTIME="900")
    result = await engine.run(port, "q")
    assert result.path == ["queue", "offer", "bye"]
    assert port.prompts[-4:] == ["cb-offer", "say:digits:15551230001", "cb-confirm", "cb-done"]
    [request] = callbacks.requests
    assert (request.number, request.queue, request.linkedid) == ("+15551230001", "support", "1795430000.12")
    assert request.requested_at == TUESDAY_10_NY


async def test_anonymous_caller_types_the_callback_number() -> None:
    callbacks = KeptCallbacks()
    engine, _ = engine_for(QUEUE, callbacks=callbacks)
    port = caller("1,4155550123#,1", number="anonymous", QUEUEHOLDTIME="900")
    await engine.run(port, "q")
    assert [r.number for r in callbacks.requests] == ["4155550123"]
    assert "vm-enter-num-to-call" in port.prompts


async def test_resume_after_queue_reads_queuestatus_and_restores_variables() -> None:
    engine, events = engine_for(QUEUE)
    port = caller("2", QUEUESTATUS="FULL", IVR_STATE='{"vars":{"account":"4321"},"customer":null}')
    result = await engine.run(port, "q", resume_at="q/queue")
    assert result.path == ["queue", "offer", "queue"]
    assert result.inputs[0] == {"node": "queue", "kind": "queue", "value": "full", "result": "ok"}
    assert result.variables == {"account": "4321"}
    assert events[0].data["resume_at"] == "q/queue"
    port = caller(QUEUESTATUS="TIMEOUT")
    result = await engine.run(port, "q", resume_at="q/queue")
    assert result.outcome.action == "hangup"
    assert port.prompts == ["vm-sorry"]


EVERYTHING = """
name: all
entry: who
nodes:
  who:
    type: lookup_customer
    by: caller_number
    found: hours
    not_found: ask
  ask:
    type: collect
    prompt: agent-pass
    store: card
    max_digits: 16
    luhn: true
    retries: 1
    next: by-account
  by-account:
    type: lookup_customer
    by: account
    variable: card
    found: hours
    not_found: bye
  hours:
    type: hours
    schedule:
      timezone: Europe/London
      weekly: {mon: ["09:00-17:00"], tue: ["09:00-17:00"]}
      holidays: {country: GB, subdiv: ENG, dates: ["2026-12-01"]}
    open: compute
    closed: mailbox
  compute:
    type: set
    values: {greeting: "yes"}
    expressions: {tier: 'customer.found ? customer.segment : "none"', hour: "string(time.hour)"}
    next: pick
  pick:
    type: branch
    cases:
      - when: customer.vip_since > 2020
        goto: bye
      - when: vars.tier == "gold" && time.weekday == "tue"
        goto: read-back
    else: bye
  read-back:
    type: say
    kind: digits
    prompt: you-entered
    value: customer.account
    next: helper
  helper:
    type: subflow
    flow: helper
    next: out
  out:
    type: transfer
    to: "+442071234567"
    prompt: transfer
  mailbox:
    type: voicemail
    mailbox: "5000@support"
  bye:
    type: hangup
"""

HELPER = """
name: helper
entry: note
nodes:
  note:
    type: set
    values: {helped: "yes"}
    next: back
  back:
    type: return
"""

CUSTOMERS = [{"id": 7, "phone": "+447700900123", "account": "4539578763621486", "segment": "gold"}]


async def test_every_data_node_on_one_call() -> None:
    engine, events = engine_for(EVERYTHING, HELPER, customers=FixtureCustomers(CUSTOMERS))
    port = caller("4539578763621487#,4539578763621486#", number="+15550000000")
    result = await engine.run(port, "all")
    assert result.path == [
        "who", "ask", "by-account", "hours", "compute", "pick", "read-back", "helper",
        "helper/note", "helper/back", "out",
    ]  # fmt: skip
    # card numbers are masked in the record, kept whole in the variable
    assert [(i["kind"], i["value"], i["result"]) for i in result.inputs] == [
        ("customer", None, "not_found"),
        ("digits", "************1487", "invalid"),
        ("digits", "************1486", "ok"),
        ("customer", "7", "found"),
    ]
    assert result.variables == {
        "card": "4539578763621486",
        "greeting": "yes",
        "tier": "gold",
        "hour": "15",
        "helped": "yes",
    }
    assert port.prompts == ["agent-pass", "agent-pass", "you-entered", "say:digits:4539578763621486", "transfer"]
    assert result.outcome.as_dict() == {"action": "transfer", "transfer_to": "+442071234567"}
    assert port.variables["IVR_CUSTOMER_ID"] == "7"
    assert port.variables["IVR_ACTION"] == "transfer"
    # the first branch case fails to evaluate (no vip_since): reported, and the next case still decides
    [warning] = [e for e in events if e.kind == "node_warning"]
    assert (warning.node, warning.data["case"]) == ("pick", 0)
    assert "vip_since" in warning.data["message"]


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC), True),  # Monday noon in London
        (dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.UTC), False),  # Tuesday 08:30: before opening
        (dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC), False),  # a Tuesday, but an explicit day off
        (dt.datetime(2026, 12, 28, 12, 0, tzinfo=dt.UTC), False),  # Monday, Boxing Day (substitute day)
        (dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC), False),  # Wednesday: no hours at all
        (dt.datetime(2026, 7, 7, 15, 30, tzinfo=dt.UTC), True),  # summer Tuesday: 16:30 BST, open
        (dt.datetime(2026, 7, 7, 16, 30, tzinfo=dt.UTC), False),  # 17:30 BST: closed though 16:30 UTC
    ],
)
async def test_hours_follow_the_schedule_and_holidays(at: dt.datetime, is_open: bool) -> None:
    engine, _ = engine_for(EVERYTHING, HELPER, customers=FixtureCustomers(CUSTOMERS), clock=FixedClock(at))
    result = await engine.run(caller(number="+447700900123"), "all")
    assert result.path[:3] == ["who", "hours", "compute" if is_open else "mailbox"]


async def test_top_level_return_hands_back_to_the_dialplan() -> None:
    engine, _ = engine_for(HELPER)
    port = caller()
    result = await engine.run(port, "helper")
    assert result.outcome.action == "continue"
    assert port.variables["IVR_ACTION"] == "continue"


SURVEY = """
name: survey
entry: ask
nodes:
  ask:
    type: survey
    questions: [{id: resolved, prompt: q-resolved}, {id: agent, prompt: q-agent}]
    low_score: 2
    invalid_prompt: pbx-invalid
    thanks_prompt: auth-thankyou
    next: bye
  bye:
    type: hangup
"""


async def test_survey_scores_are_recorded_and_a_low_score_is_flagged() -> None:
    surveys = KeptSurveys()
    engine, _ = engine_for(SURVEY, surveys=surveys)
    await engine.run(caller("4,0,2"), "survey")
    await engine.run(caller("5,,"), "survey")
    assert [(r.scores, r.low) for r in surveys.results] == [
        ({"resolved": 4, "agent": 2}, True),
        ({"resolved": 5, "agent": None}, False),
    ]
    assert surveys.results[0].linkedid == "1795430000.12"


async def test_goto_another_flow_and_unknown_flow() -> None:
    jump = "name: jump\nentry: go\nnodes:\n  go: {type: goto, flow: helper}\n"
    engine, _ = engine_for(jump, HELPER)
    result = await engine.run(caller(), "jump")
    assert result.path == ["go", "helper/note", "helper/back"]
    with pytest.raises(UnknownFlow):
        await engine.run(caller(), "nope")


class BrokenPort(ScriptedCaller):
    async def say(self, kind, value) -> None:
        raise RuntimeError("adapter bug")


async def test_an_unexpected_error_ends_the_session_and_tells_the_dialplan() -> None:
    engine, events = engine_for(EVERYTHING, HELPER, customers=FixtureCustomers(CUSTOMERS))
    port = BrokenPort("+447700900123", [])
    result = await engine.run(port, "all")
    assert result.outcome.as_dict() == {"action": "error", "reason": "RuntimeError", "node": "read-back"}
    assert port.variables["IVR_ACTION"] == "error"
    assert events[-1].kind == "ivr_ended"


async def test_a_failing_event_consumer_does_not_break_the_call() -> None:
    def explode(event: IvrEvent) -> None:
        raise ValueError("consumer down")

    engine = IvrEngine(catalog(MENU), IvrServices(on_event=explode))
    result = await engine.run(caller("2"), "menu")
    assert result.outcome.details["queue"] == "sales"


class GatedCaller(ScriptedCaller):
    """Holds the call inside the first prompt until released."""

    def __init__(self, digits: str) -> None:
        super().__init__("+15551230001", parse_digits(digits))
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def play(self, prompt: str, interrupt_digits: str = "") -> str | None:
        self.entered.set()
        await self.release.wait()
        return await super().play(prompt, interrupt_digits)


async def test_publishing_switches_new_calls_while_a_call_in_progress_keeps_its_version() -> None:
    engine, _ = engine_for(MENU)
    old_call = GatedCaller("2")
    running = asyncio.create_task(engine.run(old_call, "menu"))
    await old_call.entered.wait()
    engine.catalog.publish(compiled(MENU.replace("queue: sales", "queue: sales-new"), version="v2"))
    new = await engine.run(caller("2"), "menu")
    old_call.release.set()
    old = await running
    assert (old.version, old.outcome.details["queue"]) == ("test", "sales")
    assert (new.version, new.outcome.details["queue"]) == ("v2", "sales-new")


KEYS = """
name: keys
entry: pin
nodes:
  pin:
    type: collect
    prompt: enter-pin
    store: pin
    min_digits: 4
    max_digits: 6
    terminator: "*"
    retries: 1
    next: code
  code:
    type: collect
    prompt: enter-code
    store: code
    max_digits: 3
    terminator: ""
    next: when
  when:
    type: say
    kind: date
    value: 'vars.pin == "9999" ? "2026-12-24" : time.epoch'
    next: bye
  bye:
    type: hangup
"""


async def test_collect_key_by_key_with_another_terminator_or_none() -> None:
    engine, _ = engine_for(KEYS)
    port = caller("12*,4321*,7890")
    result = await engine.run(port, "keys")
    # "12*" is too short; "4321*" ends at the star; with no terminator the entry stops at max_digits
    assert [(i["value"], i["result"]) for i in result.inputs] == [("12", "invalid"), ("4321", "ok"), ("789", "ok")]
    assert result.variables == {"pin": "4321", "code": "789"}
    assert port.prompts == ["enter-pin", "enter-pin", "enter-code", f"say:date:{int(TUESDAY_10_NY.timestamp())}"]


async def test_collect_key_by_key_stops_when_the_caller_does() -> None:
    engine, _ = engine_for(KEYS)
    port = caller("9999*,5")
    result = await engine.run(port, "keys")
    assert result.variables == {"pin": "9999", "code": "5"}
    # a date without a zone is midnight in the engine's zone (UTC here)
    assert port.prompts[-1] == "say:date:1798070400"
    engine, _ = engine_for(KEYS)
    result = await engine.run(caller("12h"), "keys")
    assert result.outcome.as_dict() == {"action": "caller_hangup", "node": "pin"}


async def test_a_bad_resume_point_or_state_does_not_crash_the_session() -> None:
    engine, _ = engine_for(QUEUE)
    port = caller()
    result = await engine.run(port, "q", resume_at="q/offer")
    assert result.outcome.as_dict() == {"action": "error", "reason": "LookupError", "node": None}
    assert port.variables["IVR_ACTION"] == "error"
    port = caller("2", QUEUESTATUS="EXITWITHKEY", IVR_STATE="{not json")
    result = await engine.run(port, "q", resume_at="q/queue")
    assert result.variables == {}
    assert result.inputs[0]["value"] == "left"
    assert result.outcome.action == "hangup"  # `left` has no target in this flow


async def test_a_cancelled_session_still_reports_where_the_caller_was() -> None:
    engine, events = engine_for(MENU)
    port = GatedCaller("2")
    task = asyncio.create_task(engine.run(port, "menu"))
    await port.entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert events[-1].kind == "ivr_ended"
    assert events[-1].data == {
        "outcome": {"action": "error", "reason": "cancelled", "node": "welcome"},
        "path": ["welcome"],
    }
