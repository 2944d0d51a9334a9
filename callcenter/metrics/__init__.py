"""Live queue and agent KPIs, interval reports and alert rules (domain code: no web, SQL or sockets).

Every figure is computed by one engine (``CallFigures``) fed typed call events one by one and, once a
call is over, its ``HandledCall`` record (talk, hold and wrap-up seconds). The live state feeds it the
events as they happen and keeps one bucket per local day; an interval report feeds it the stored events
and records of the interval's calls and keeps one bucket per 15 minutes, hour or day. So a live figure
and the report of the same calls cannot disagree.

Definitions (``docs/metrics.md`` says the same with examples):

* A *queue visit* starts when a caller enters a queue (``call.queued``) and ends when the caller is
  answered (``call.connected``), abandons (``call.abandoned``) or leaves the queue otherwise (a timeout,
  a transfer or a hang-up the PBX did not report as an abandon). Every figure of a visit is counted in
  the interval (or day) in which the visit *started*, in the centre's time zone.
* **offered**: visits that ended (answered + abandoned + left otherwise); callers still waiting are
  counted in *calls waiting*, not yet in offered.
* **answered**: visits ended by an agent answering. **answered within threshold**: answered with a wait
  of at most the queue's service-level threshold (``service_level_seconds``, default 20 s).
* **abandoned**: visits the caller ended by hanging up while waiting. **short-abandoned**: abandoned
  after waiting less than the queue's ``short_abandon_seconds`` (default 5 s).
* **service level** = answered within threshold / (offered − short-abandoned) × 100 when short
  abandons are excluded (the default), or answered within threshold / offered × 100 when the queue's
  ``exclude_short_abandons`` is false. No denominator, no figure (``None``).
* **abandon rate** = abandoned / offered × 100 (short abandons included).
* **ASA** (average speed of answer) = sum of the waits of answered visits / answered.
* **average wait** = sum of the waits of all ended visits / offered; **max wait** = the longest of them.
* **AHT** (average handle time) = (talk + hold + wrap-up seconds of handled calls) / handled calls,
  where a handled call is one whose ``HandledCall`` record arrived (talk and hold as Asterisk reports
  them, wrap-up the queue's wrap-up time).
* **calls waiting** / **longest wait**: callers in the queue now, and how long the first of them waits.
* **occupancy** = (on-call + wrap-up seconds) / (on-call + wrap-up + ringing + ready seconds) × 100
  of the agents in the interval; paused, logged-out and unreachable time is not counted.
* Per agent: calls handled (answered by the agent, counted in the interval of the answer), talk,
  hold and wrap-up seconds, paused seconds by reason and seconds per state (from the agent events,
  split at interval boundaries), and live: the current state and seconds in it.
"""

from callcenter.metrics.definitions import MetricsRules, QueueRules
from callcenter.metrics.engine import CallFigures, HandledCall
from callcenter.metrics.figures import AgentTally, QueueTally
from callcenter.metrics.live import LiveMetrics

__all__ = [
    "AgentTally",
    "CallFigures",
    "HandledCall",
    "LiveMetrics",
    "MetricsRules",
    "QueueRules",
    "QueueTally",
]
