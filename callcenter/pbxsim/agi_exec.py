"""AGI commands executed on a simulated channel, with Asterisk's replies and AGIExec* events.

`AgiChannel.execute("STREAM FILE vm-options \"123\"")` behaves like Asterisk running that command on
the PBX half of the caller's Local channel: prompts take their real length in simulated time, DTMF the
simulated caller sends interrupts them, and once the caller has hung up (or the script sent HANGUP)
media commands answer 511. Both the built-in scripted IVR and a FastAGI session drive this class.
"""

from __future__ import annotations

import asyncio
import random
import shlex

from callcenter.pbxsim.channels import Channel
from callcenter.pbxsim.clock import Clock
from callcenter.pbxsim.events import ChannelEvents

DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
UNKNOWN = "510 Invalid or unknown command"
SAMPLE_RATE = 8000

# Prompt lengths in seconds, taken from the sound files the traces played; others last DEFAULT_PROMPT.
PROMPT_SECONDS = {"vm-options": 16.38, "vm-goodbye": 0.88, "agent-pass": 3.3}
DEFAULT_PROMPT = 2.0


class PromptAnswers:
    """A caller who answers what is asked: the menu choice at a menu, the account (then #) when asked for digits.

    The lab's customer dialplan instead keys its digits at fixed moments; this caller suits any IVR flow.
    """

    def __init__(self, choice: str, account: str, *, reaction: float = 1.5) -> None:
        self.choice = choice
        self.account = account
        self.reaction = reaction


class CallerLine:
    """What the PBX side hears from the simulated caller: DTMF digits and the moment they hang up."""

    def __init__(self, answers: PromptAnswers | None = None) -> None:
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self.gone = asyncio.Event()
        self.answers = answers

    async def next_digit(self, clock: Clock, within: float) -> str | None:
        """The next digit, `None` after `within` simulated seconds, or `""` when the caller hung up."""
        if not self.digits.empty():
            return self.digits.get_nowait()
        if self.gone.is_set():
            return ""
        digit_task = asyncio.ensure_future(self.digits.get())
        gone_task = asyncio.ensure_future(self.gone.wait())
        timer = clock.timer(within)
        try:
            await asyncio.wait({digit_task, gone_task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            gone_task.cancel()
            if not digit_task.done():
                digit_task.cancel()
        if digit_task.done() and not digit_task.cancelled():
            return digit_task.result()
        return "" if self.gone.is_set() else None


class AgiChannel:
    """Runs AGI commands against one channel."""

    def __init__(self, channel: Channel, events: ChannelEvents, clock: Clock, line: CallerLine) -> None:
        self.channel = channel
        self.events = events
        self.clock = clock
        self.line = line
        self.hung_up_by_script = False
        self._typing: asyncio.Task[None] | None = None

    @property
    def dead(self) -> bool:
        """The caller hung up or the script sent HANGUP."""
        return self.line.gone.is_set() or self.hung_up_by_script

    async def execute(self, command: str) -> str:
        """Run one AGI command line and return Asterisk's reply line."""
        command_id = str(random.randint(10_000_000, 999_999_999))
        self.events.bus.emit_parts(
            "AGIExecStart", "agi", [self.channel.snapshot_lines(), [("CommandId", command_id), ("Command", command)]]
        )
        reply = await self._run(command)
        code = reply[:3]
        if code == "200":
            result = "Failure" if reply.startswith("200 result=-1") else "Success"
        else:
            result = reply[4:]
        self.events.bus.emit_parts(
            "AGIExecEnd",
            "agi",
            [
                self.channel.snapshot_lines(),
                [("CommandId", command_id), ("Command", command), ("ResultCode", code), ("Result", result)],
            ],
        )
        return reply

    async def _run(self, command: str) -> str:
        try:
            words = shlex.split(command)
        except ValueError:
            return UNKNOWN
        upper = [w.upper() for w in words[:3]]
        args2 = words[2:]
        if upper[:1] == ["ANSWER"]:
            return DEAD if self.dead else "200 result=0"
        if upper[:1] == ["NOOP"]:
            return "200 result=0"
        if upper[:1] == ["VERBOSE"]:
            return "200 result=1"
        if upper[:1] == ["HANGUP"]:
            if not self.dead:
                self.hung_up_by_script = True
                self.events.soft_hangup_request(self.channel, 32)
            return "200 result=1"
        if upper[:2] == ["GET", "VARIABLE"] and args2:
            value = self._variable(args2[0])
            return "200 result=0" if value is None else f"200 result=1 ({value})"
        if upper[:2] == ["SET", "VARIABLE"] and len(args2) >= 2:
            self.events.varset(self.channel, args2[0], args2[1])
            return "200 result=1"
        if upper[:2] == ["STREAM", "FILE"] and len(args2) >= 2:
            return DEAD if self.dead else await self._stream(args2[0], args2[1])
        if upper[:2] == ["GET", "DATA"] and args2:
            if self.dead:
                return DEAD
            digit_wait = float(args2[1]) / 1000 if len(args2) > 1 else 6.0
            max_digits = int(args2[2]) if len(args2) > 2 else 1024
            return await self._get_data(args2[0], digit_wait, max_digits)
        if upper[:3] == ["WAIT", "FOR", "DIGIT"] and len(words) > 3:
            return DEAD if self.dead else await self._wait_digit(float(words[3]) / 1000)
        return UNKNOWN

    def _variable(self, name: str) -> str | None:
        if name == "CALLERID(num)":
            return self.channel.cid_num or None
        if name == "CALLERID(name)":
            return self.channel.cid_name or None
        return self.channel.variables.get(name)

    def close(self) -> None:
        """The AGI session is over: a caller still about to key digits stops."""
        if self._typing is not None:
            self._typing.cancel()

    def _answer(self, digits: str, after: float) -> None:
        """The prompt-answering caller keys `digits` once `after` seconds have passed."""
        if self._typing is not None and not self._typing.done():
            self._typing.cancel()
        self._typing = asyncio.create_task(self._type(digits, after))

    async def _type(self, digits: str, after: float) -> None:
        await self.clock.sleep(after)
        for digit in digits:
            if self.line.gone.is_set():
                return
            self.events.dtmf(self.channel, digit)
            self.line.digits.put_nowait(digit)
            await self.clock.sleep(0.35)

    async def _stream(self, name: str, escape: str) -> str:
        answers = self.line.answers
        if answers is not None and answers.choice and answers.choice in escape:
            self._answer(answers.choice, answers.reaction)
        length = PROMPT_SECONDS.get(name, DEFAULT_PROMPT)
        started = self.clock.now()
        while True:
            left = length - (self.clock.now() - started)
            if left <= 0:
                self.events.varset(self.channel, "PLAYBACKSTATUS", "SUCCESS")
                return f"200 result=0 endpos={int(length * SAMPLE_RATE)}"
            digit = await self.line.next_digit(self.clock, left)
            endpos = int(min(length, self.clock.now() - started) * SAMPLE_RATE)
            if digit == "":
                self.events.varset(self.channel, "PLAYBACKSTATUS", "FAILED")
                return f"200 result=-1 endpos={endpos}"
            if digit is not None and digit in escape:
                self.events.varset(self.channel, "PLAYBACKSTATUS", "FAILED")
                return f"200 result={ord(digit)} endpos={endpos}"

    async def _get_data(self, prompt: str, digit_wait: float, max_digits: int) -> str:
        answers = self.line.answers
        if answers is not None and answers.account:
            typed = answers.account[:max_digits]
            self._answer(typed if len(typed) == max_digits else typed + "#", answers.reaction)
        collected = ""
        deadline = self.clock.now() + PROMPT_SECONDS.get(prompt, DEFAULT_PROMPT) + digit_wait
        while len(collected) < max_digits:
            left = deadline - self.clock.now()
            digit = await self.line.next_digit(self.clock, max(left, 0.0)) if left > 0 else None
            if digit == "":
                return "200 result=-1"
            if digit is None:
                return f"200 result={collected} (timeout)"
            if digit == "#":
                break
            collected += digit
            deadline = self.clock.now() + digit_wait
        return f"200 result={collected}"

    async def _wait_digit(self, within: float) -> str:
        answers = self.line.answers
        if answers is not None and answers.choice:
            self._answer(answers.choice, min(answers.reaction, within / 2))
        digit = await self.line.next_digit(self.clock, within)
        if digit == "":
            return "200 result=-1"
        return "200 result=0" if digit is None else f"200 result={ord(digit)}"
