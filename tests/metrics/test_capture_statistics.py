"""The public captures replayed into live metrics give Asterisk's own queue statistics.

Asterisk reports, per queue (QueueParams): ``Completed`` (answered calls), ``Abandoned``,
``ServicelevelPerf`` = answered within ``ServiceLevel`` seconds / Completed × 100 and
``ServicelevelPerf2`` = (answered + abandoned within ServiceLevel) / (Completed + Abandoned) × 100,
and ``Holdtime``, app_queue's running average of the waits (new = (3 × old + wait) / 4 in integer
seconds). Its queue_log holds each call's wait (CONNECT holdtime, ABANDON waittime).
"""

from __future__ import annotations

from callcenter.calls import CallTracker
from callcenter.metrics import LiveMetrics, MetricsRules, QueueRules
from tests.metrics.captures import queue_log_lines, queue_params, replay_into

# queues.conf of the lab: support servicelevel 20, sales servicelevel 30.
RULES = MetricsRules(
    queues={"support": QueueRules(service_level_seconds=20), "sales": QueueRules(service_level_seconds=30)}
)


def queue(live: LiveMetrics, name: str, now) -> dict:
    return next(q for q in live.snapshot(now)["queues"] if q["queue"] == name)


def asterisk_holdtime(waits: list[int]) -> int:
    """app_queue's running average of the waits, in the order the calls were answered: the first
    wait as is, then (3 x old + wait) >> 2 (ami-01 alone shows Holdtime 2 after one 2 s wait)."""
    holdtime = waits[0]
    for wait in waits[1:]:
        holdtime = (3 * holdtime + wait) >> 2
    return holdtime


def assert_matches_queue_params(figures: dict, params: dict[str, str]) -> None:
    completed, abandoned = int(params["Completed"]), int(params["Abandoned"])
    assert figures["answered"] == completed
    assert figures["abandoned"] == abandoned
    assert round(100 * figures["answered_within_threshold"] / completed, 1) == float(params["ServicelevelPerf"])
    within = figures["answered_within_threshold"] + figures["abandoned_within_threshold"]
    assert round(100 * within / (completed + abandoned), 1) == float(params["ServicelevelPerf2"])


def test_burst_in_sales_gives_the_statistics_asterisk_reported_next() -> None:
    # ami-09 was the first traffic after an Asterisk start; ami-10 opens with QueueStatus on that run.
    live = LiveMetrics(RULES)
    now = replay_into(live, "ami-09-burst-sales-ringall.txt")
    sales = queue(live, "sales", now)
    before = queue_params("ami-10-agent-login-pause-cycle.txt")[0]
    assert before["ActionID"] == "s10-002"
    assert_matches_queue_params(sales, before)
    # By hand from the queue_log: CONNECT holdtimes 2 4 20 22 33 43 44, ABANDON waits 14 18 22.
    answered_waits = [int(f[5]) for f in queue_log_lines("ami-09-burst-sales-ringall.queue_log") if f[4] == "CONNECT"]
    abandon_waits = [int(f[7]) for f in queue_log_lines("ami-09-burst-sales-ringall.queue_log") if f[4] == "ABANDON"]
    assert answered_waits == [2, 4, 20, 22, 33, 43, 44] and abandon_waits == [14, 18, 22]
    assert sales["asa_seconds"] == round(168 / 7, 2)  # 24.0
    assert sales["average_wait_seconds"] == round((168 + 54) / 10, 2)  # 22.2
    assert sales["max_wait_seconds"] == 44
    assert sales["average_abandon_wait_seconds"] == 18
    # The same waits, folded Asterisk's way, are the Holdtime it reported.
    assert asterisk_holdtime(answered_waits) == int(before["Holdtime"]) == 27
    # Service level by our definition: 4 answered within 30 s / (10 offered - 0 short abandons).
    assert sales["offered"] == 10 and sales["short_abandoned"] == 0
    assert sales["service_level"] == 40.0
    assert sales["abandon_rate"] == 30.0


def test_agent_cycle_adds_one_call_like_asterisk_counted_it() -> None:
    live = LiveMetrics(RULES)
    replay_into(live, "ami-09-burst-sales-ringall.txt")
    now = replay_into(live, "ami-10-agent-login-pause-cycle.txt")
    after = queue_params("ami-10-agent-login-pause-cycle.txt")[-1]
    assert after["ActionID"] == "s10-012"
    sales = queue(live, "sales", now)
    assert_matches_queue_params(sales, after)
    # Rafael waited 12 s (queue_log CONNECT|12): Holdtime 27 -> (81 + 12) >> 2 = 23.
    assert asterisk_holdtime([2, 4, 20, 22, 33, 43, 44, 12]) == int(after["Holdtime"]) == 23
    assert sales["max_wait_seconds"] == 44
    assert sales["asa_seconds"] == round(180 / 8, 2)
    rafael = next(a for a in live.snapshot(now)["agents"] if a["name"] == "Agent 1006")
    assert rafael["calls_handled"] == 1 and rafael["talk_seconds"] == 11  # COMPLETEAGENT|12|11


def test_support_handled_and_abandoned_calls_match_the_next_queue_status() -> None:
    # ami-01 (answered after 2 s, talk 18) and ami-02 (abandoned after 10 s) precede ami-05's QueueStatus.
    live = LiveMetrics(RULES)
    replay_into(live, "ami-01-handled-call.txt")
    now = replay_into(live, "ami-02-abandoned-call.txt")
    support = queue(live, "support", now)
    first = queue_params("ami-05-queue-management.txt")[0]
    assert_matches_queue_params(support, first)
    assert support["asa_seconds"] == 2 == int(first["Holdtime"])
    assert support["talk_seconds"] == 18 == int(first["TalkTime"])
    assert support["average_abandon_wait_seconds"] == 10  # ABANDON|1|1|10
    assert support["service_level"] == 50.0  # 1 within 20 s / (2 offered - 0 short abandons)


def test_live_queue_state_matches_queue_summary_while_callers_wait() -> None:
    # ami-05: three agents paused for lunch, Carol and Dave waiting; QueueSummary s5-008 says
    # LoggedIn 3, Available 0, Callers 2.
    live = LiveMetrics(RULES)
    now = replay_into(
        live, "ami-05-queue-management.txt", tracker=CallTracker("lab"), until=lambda m: m.action_id == "s5-008"
    )
    support = queue(live, "support", now)
    assert support["calls_waiting"] == 2
    assert support["agents"]["logged_in"] == 3
    assert support["agents"]["ready"] == 0
    assert support["agents"]["paused_by_reason"] == {"lunch": 3}


def test_queue_management_answers_fold_into_asterisks_holdtime() -> None:
    # ami-01, ami-02 then ami-05 (same Asterisk run): support answers after 2 s (ami-01), then Carol
    # after 4 s and Dave after 6 s (queue_log CONNECT|4 and CONNECT|6); QueueParams s5-015 says Holdtime 3.
    live = LiveMetrics(RULES)
    for name in ("ami-01-handled-call.txt", "ami-02-abandoned-call.txt", "ami-05-queue-management.txt"):
        now = replay_into(live, name)
    support = queue(live, "support", now)
    connects = [int(f[5]) for f in queue_log_lines("ami-05-queue-management.queue_log") if f[4] == "CONNECT"]
    assert connects == [4, 6]
    params = next(p for p in queue_params("ami-05-queue-management.txt") if p["ActionID"] == "s5-015")
    assert asterisk_holdtime([2, *connects]) == int(params["Holdtime"]) == 3
    assert support["answered"] == 3 and support["answered_within_threshold"] == 3
    assert support["asa_seconds"] == round((2 + 4 + 6) / 3, 2)
    assert support["abandoned"] == 1
