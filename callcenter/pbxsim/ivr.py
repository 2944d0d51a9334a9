"""The IVR phase of a simulated call: who drives the AGI commands.

`IvrRunner` is the seam: the built-in `ScriptedMainMenu` plays the lab's main menu locally (the
script the traces were recorded with), a FastAGI runner relays the commands of a real FastAGI server
instead. Either way the commands run on an `AgiChannel`, which emits the AGIExec events and answers
like Asterisk; the dialplan then reads `IVR_QUEUE` from the channel.
"""

from __future__ import annotations

from typing import Protocol

from callcenter.pbxsim.agi_exec import AgiChannel

QUEUE_BY_CHOICE = {"1": "support", "2": "sales"}


class IvrRunner(Protocol):
    """Drives the AGI part of a call; returns when the AGI session is over."""

    async def run(self, agi: AgiChannel, script: str, args: list[str]) -> None: ...


def _result(reply: str) -> str:
    """The `result=` value of a 200 reply (`""` when it has none)."""
    if not reply.startswith("200 result="):
        return ""
    return reply[len("200 result=") :].split(" ", 1)[0]


class ScriptedMainMenu:
    """The main-menu script: menu 1 support / 2 sales / 3 goodbye, then a 4-digit account number."""

    def __init__(self, queue_by_choice: dict[str, str] | None = None) -> None:
        self.queue_by_choice = queue_by_choice or QUEUE_BY_CHOICE

    async def run(self, agi: AgiChannel, script: str, args: list[str]) -> None:
        """Play the menu on `agi`."""
        await agi.execute("ANSWER")
        await agi.execute("GET VARIABLE CALLERID(num)")
        choice = _result(await agi.execute('STREAM FILE vm-options "123"'))
        if choice == "-1":
            await agi.execute("GET DATA agent-pass 5000 4")
            await agi.execute('VERBOSE "caller hung up during main menu" 1')
            return
        if choice == "0":
            choice = _result(await agi.execute("WAIT FOR DIGIT 5000"))
        digit = chr(int(choice)) if choice.isdigit() and int(choice) > 0 else ""
        if digit == "3":
            await self._goodbye(agi, again=True)
            return
        reply = await agi.execute("GET DATA agent-pass 5000 4")
        account = _result(reply)
        if account == "-1":
            await agi.execute("SET VARIABLE IVR_QUEUE none")
            await agi.execute('STREAM FILE vm-goodbye ""')
            return
        queue = self.queue_by_choice.get(digit)
        if queue is None or not account:
            await self._goodbye(agi, again=False)
            return
        await agi.execute(f"SET VARIABLE IVR_ACCOUNT {account}")
        await agi.execute(f"SET VARIABLE IVR_QUEUE {queue}")

    @staticmethod
    async def _goodbye(agi: AgiChannel, *, again: bool) -> None:
        await agi.execute('STREAM FILE vm-goodbye ""')
        await agi.execute("HANGUP")
        await agi.execute("SET VARIABLE IVR_QUEUE none")
        if again:
            await agi.execute('STREAM FILE vm-goodbye ""')
