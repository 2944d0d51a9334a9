"""Call tracking: AMI events in, call lifecycle and agent states out (domain code, no I/O)."""

from callcenter.calls.agents import AgentUser
from callcenter.calls.events import AgentState, CallKey, HangupBy, TransferKind
from callcenter.calls.summary import CallSummary, Outcome
from callcenter.calls.tracker import CallTracker

__all__ = ["AgentState", "AgentUser", "CallKey", "CallSummary", "CallTracker", "HangupBy", "Outcome", "TransferKind"]
