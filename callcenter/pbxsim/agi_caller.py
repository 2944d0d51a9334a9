"""What a simulated caller does, and how Asterisk answers AGI commands on that caller's channel.

:class:`CallerScript` is the caller: one step per prompt (a prompt is any command that plays sound or
waits for keys: STREAM FILE, GET DATA, WAIT FOR DIGIT, SAY ...), plus an optional hang-up at a fixed
moment. :class:`AsteriskChannel` is sans I/O: given a command line and the session time it returns
the reply lines Asterisk 22 would send and how long the command takes, following the captures
(ASCII codes for STREAM FILE keys, ``200 result= (timeout)``, ``-1`` and then 511 after a hang-up,
510 for unknown commands, 520 usage blocks for missing arguments).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from callcenter.telephony.agi.protocol import split_arguments

SAMPLE_RATE = 8000
DEFAULT_PROMPT_S = 2.0
SAY_UNIT_S = 0.6
DEFAULT_GET_DATA_TIMEOUT_MS = 5000
KNOWN_APPLICATIONS = frozenset(
    {"playback", "background", "queue", "dial", "voicemail", "voicemailmain", "wait", "musiconhold", "echo",
     "transfer", "saydigits", "saynumber", "sayalpha", "read", "answer", "hangup", "progress", "ringing", "noop"}
)  # fmt: skip

R_510 = "510 Invalid or unknown command"
R_511 = "511 Command Not Permitted on a dead channel or intercept routine"
USAGE_HEAD = "520-Invalid command syntax.  Proper usage follows:"
USAGE_TAIL = "520 End of proper usage."
USAGES = {
    "STREAM FILE": (
        "Send the given file, allowing playback to be interrupted by the given digits, if any. Returns "
        "<literal>0</literal> if playback completes without a digit being pressed, or the ASCII numerical value "
        "of the digit if one was pressed, or <literal>-1</literal> on error or if the channel was disconnected. "
        "If musiconhold is playing before calling stream file it will be automatically stopped and will not be "
        "restarted after completion.",
        "It sets the following channel variables upon completion:",
        "<variable>PLAYBACKSTATUS</variable>: The status of the playback attempt as a text string.",
        "    <value>SUCCESS</value>",
        "    <value>FAILED</value>",
    ),
    "GET DATA": (
        "Stream the given <replaceable>file</replaceable>, and receive DTMF data.",
        "Returns the digits received from the channel at the other end.",
    ),
}


@dataclass(frozen=True)
class Press:
    """The caller presses ``digits``: the first ``after_s`` into the prompt, the next ones ``gap_s`` apart.

    With ``hangup_after_s`` the caller then hangs up that long into the same prompt.
    """

    digits: str
    after_s: float = 0.5
    gap_s: float = 0.25
    hangup_after_s: float | None = None


@dataclass(frozen=True)
class Silence:
    """The caller presses nothing during this prompt (it plays to its end, a wait times out)."""


@dataclass(frozen=True)
class HangUp:
    """The caller hangs up ``after_s`` into this prompt."""

    after_s: float = 0.5


Step = Press | Silence | HangUp
_STEP = re.compile(r"(?P<digits>[0-9*#A-Da-d]*)(?:(?P<hangup>[Hh])(?P<after>\d+(?:\.\d+)?)?)?|(?P<silence>-)")


@dataclass(frozen=True)
class CallerScript:
    """One caller: a step per prompt (then silence), and optionally a hang-up at a fixed session time."""

    steps: Sequence[Step] = ()
    hangup_at_s: float | None = None

    @classmethod
    def parse(cls, text: str, *, hangup_at_s: float | None = None) -> CallerScript:
        """Build from ``"1,4321#,-,43H2,H1.5"``: digits, ``-``/empty for silence, ``[digits]H[seconds]`` hang-up."""
        steps: list[Step] = []
        for item in text.split(",") if text else []:
            match = _STEP.fullmatch(item.strip())
            if match is None:
                raise ValueError(f"bad caller step {item!r}: use digits, '-' for silence or H[seconds] to hang up")
            digits = (match.group("digits") or "").upper()
            after = float(match.group("after")) if match.group("after") else HangUp.after_s
            if match.group("hangup") and digits:
                steps.append(Press(digits, hangup_after_s=max(after, Press.after_s + Press.gap_s * len(digits))))
            elif match.group("hangup"):
                steps.append(HangUp(after))
            elif digits:
                steps.append(Press(digits))
            else:
                steps.append(Silence())
        return cls(tuple(steps), hangup_at_s)


@dataclass
class ChannelReply:
    """What Asterisk sends for one command, ``duration_s`` after receiving it."""

    lines: list[str]
    duration_s: float = 0.0
    hung_up: bool = False
    """The caller hung up while this command ran (a ``HANGUP`` notification follows)."""


@dataclass
class _Command:
    min_args: int
    dead_ok: bool
    run: Callable[[list[str], float], ChannelReply]


@dataclass
class AsteriskChannel:
    """Asterisk's AGI command handling for one channel whose caller follows a :class:`CallerScript`."""

    script: CallerScript = field(default_factory=CallerScript)
    variables: dict[str, str] = field(default_factory=dict)
    prompt_seconds: Mapping[str, float] = field(default_factory=dict)
    default_prompt_s: float = DEFAULT_PROMPT_S
    applications: frozenset[str] = KNOWN_APPLICATIONS
    dead: bool = False
    hangup_by: str | None = None
    variables_set: dict[str, str] = field(default_factory=dict)
    prompts: list[str] = field(default_factory=list)
    applications_run: list[tuple[str, str]] = field(default_factory=list)
    _step: int = 0
    _typeahead: str = ""

    def __post_init__(self) -> None:
        self._commands: dict[str, _Command] = {
            "ANSWER": _Command(0, False, lambda a, t: ChannelReply(["200 result=0"])),
            "HANGUP": _Command(0, False, self._hangup),
            "NOOP": _Command(0, True, lambda a, t: ChannelReply(["200 result=0"])),
            "VERBOSE": _Command(1, True, lambda a, t: ChannelReply(["200 result=1"])),
            "SET VARIABLE": _Command(2, True, self._set_variable),
            "GET VARIABLE": _Command(1, True, self._get_variable),
            "EXEC": _Command(1, True, self._exec),
            "STREAM FILE": _Command(2, False, self._stream_file),
            "GET DATA": _Command(1, False, self._get_data),
            "WAIT FOR DIGIT": _Command(1, False, self._wait_for_digit),
            "SAY DIGITS": _Command(2, False, self._say),
            "SAY NUMBER": _Command(2, False, self._say),
            "SAY ALPHA": _Command(2, False, self._say),
            "SAY DATETIME": _Command(2, False, self._say),
        }

    def handle(self, line: str, now: float) -> ChannelReply:
        """The reply to one command line received ``now`` seconds into the session."""
        words = split_arguments(line)
        for size in (2, 1, 3):  # most verbs are two words (SET VARIABLE, STREAM FILE ...)
            if len(words) < size:
                continue
            verb = " ".join(words[:size]).upper()
            command = self._commands.get(verb)
            if command is not None:
                break
        else:
            return ChannelReply([R_510])
        args = words[size:]
        if len(args) < command.min_args:
            return ChannelReply([USAGE_HEAD, *USAGES.get(verb, (f" Usage: {verb} ...",)), USAGE_TAIL])
        if self.dead and not command.dead_ok:
            return ChannelReply([R_511])
        return command.run(args, now)

    def caller_hangs_up(self) -> None:
        """Mark the channel dead because the caller hung up (outside any command)."""
        if not self.dead:
            self.dead = True
            self.hangup_by = "caller"

    # -- commands ------------------------------------------------------------------------------

    def _hangup(self, args: list[str], now: float) -> ChannelReply:
        self.dead = True
        self.hangup_by = self.hangup_by or "ivr"
        return ChannelReply(["200 result=1"], hung_up=True)

    def _set_variable(self, args: list[str], now: float) -> ChannelReply:
        self.variables[args[0]] = args[1]
        self.variables_set[args[0]] = args[1]
        return ChannelReply(["200 result=1"])

    def _get_variable(self, args: list[str], now: float) -> ChannelReply:
        value = self.variables.get(args[0])
        return ChannelReply(["200 result=0"] if value is None else [f"200 result=1 ({value})"])

    def _exec(self, args: list[str], now: float) -> ChannelReply:
        self.applications_run.append((args[0], args[1] if len(args) > 1 else ""))
        if self.dead:
            return ChannelReply(["200 result=-1"])
        return ChannelReply(["200 result=0" if args[0].lower() in self.applications else "200 result=-2"])

    def _stream_file(self, args: list[str], now: float) -> ChannelReply:
        prompt, escape = args[0], args[1]
        self.prompts.append(prompt)
        length = self.prompt_seconds.get(prompt, self.default_prompt_s)
        keys, cut = self._next_prompt(now)
        for at, digit in keys:
            if cut is not None and at >= cut:
                break
            if at < length and digit in escape:
                self._typeahead = "".join(d for t, d in keys if t > at)
                return ChannelReply([f"200 result={ord(digit)} endpos={_samples(at)}"], at)
        if cut is not None and cut < length:
            return self._caller_gone(f"200 result=-1 endpos={_samples(cut)}", cut)
        return ChannelReply([f"200 result=0 endpos={_samples(length)}"], length)

    def _get_data(self, args: list[str], now: float) -> ChannelReply:
        prompt = args[0]
        timeout = _int(args[1] if len(args) > 1 else "0") or DEFAULT_GET_DATA_TIMEOUT_MS
        max_digits = _int(args[2] if len(args) > 2 else "0") or 1024
        self.prompts.append(prompt)
        wait_from = self.prompt_seconds.get(prompt, self.default_prompt_s)
        keys, cut = self._next_prompt(now)
        digits = ""
        for at, digit in keys:
            if at > max(wait_from, 0.0) + timeout / 1000:
                break  # the caller was too slow: timeout before this key
            if cut is not None and at >= cut:
                return self._caller_gone("200 result=-1", cut)
            if digit == "#":
                return ChannelReply([f"200 result={digits}"], at)
            digits += digit
            wait_from = at
            if len(digits) >= max_digits:
                return ChannelReply([f"200 result={digits}"], at)
        end = wait_from + timeout / 1000
        if cut is not None and cut < end:
            return self._caller_gone("200 result=-1", cut)
        return ChannelReply([f"200 result={digits} (timeout)"], end)

    def _wait_for_digit(self, args: list[str], now: float) -> ChannelReply:
        timeout_ms = _int(args[0])
        keys, cut = self._next_prompt(now)
        limit = float("inf") if timeout_ms < 0 else timeout_ms / 1000
        if keys and keys[0][0] <= limit and (cut is None or keys[0][0] < cut):
            at, digit = keys[0]
            self._typeahead = "".join(d for _, d in keys[1:])
            return ChannelReply([f"200 result={ord(digit)}"], at)
        if cut is not None and cut <= limit:
            return self._caller_gone("200 result=-1", cut)
        return ChannelReply(["200 result=0"], limit if limit != float("inf") else 0.0)

    def _say(self, args: list[str], now: float) -> ChannelReply:
        length = SAY_UNIT_S * max(len(args[0]), 1)
        self.prompts.append(f"say:{args[0]}")
        keys, cut = self._next_prompt(now)
        escape = args[1]
        for at, digit in keys:
            if cut is not None and at >= cut:
                break
            if at < length and digit in escape:
                return ChannelReply([f"200 result={ord(digit)}"], at)
        if cut is not None and cut < length:
            return self._caller_gone("200 result=-1", cut)
        return ChannelReply(["200 result=0"], length)

    # -- the caller ----------------------------------------------------------------------------

    def _next_prompt(self, now: float) -> tuple[list[tuple[float, str]], float | None]:
        """Keys (time into the prompt, digit) for the next prompt, and when into it the caller hangs up."""
        cut: float | None = None
        keys = [(0.0, digit) for digit in self._typeahead]
        self._typeahead = ""
        step = self.script.steps[self._step] if self._step < len(self.script.steps) else Silence()
        self._step += 1
        if isinstance(step, Press):
            keys += [(step.after_s + i * step.gap_s, digit) for i, digit in enumerate(step.digits)]
            cut = step.hangup_after_s
        elif isinstance(step, HangUp):
            cut = step.after_s
        if self.script.hangup_at_s is not None:
            absolute = max(self.script.hangup_at_s - now, 0.0)
            cut = absolute if cut is None else min(cut, absolute)
        return keys, cut

    def _caller_gone(self, line: str, at: float) -> ChannelReply:
        self.caller_hangs_up()
        return ChannelReply([line], at, hung_up=True)


def _samples(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE / 160) * 160  # Asterisk reports endpos in 20 ms frames of 8 kHz audio


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
