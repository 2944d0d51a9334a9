"""``/metrics`` in the Prometheus text format: one registry per app, queue gauges read at scrape time.

Queue and agent gauges and the call-event counter are read from the live metrics when Prometheus
scrapes, so they are never stale and cost nothing between scrapes. The other instruments are set by
the parts that own them: contacts recorded (the recorder), AMI link state (the AMI clients),
websocket clients (the realtime hub) and screen-pop latency (the screen-pop path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from callcenter.metrics.live import LiveMetrics

SCREEN_POP_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
QUEUE_GAUGES = {
    "offered": "Queue visits ended today (answered + abandoned + left).",
    "answered": "Callers answered today.",
    "abandoned": "Callers who hung up while waiting today.",
    "short_abandoned": "Abandons before the queue's short-abandon threshold today.",
    "service_level": "Today's service level in percent (docs/metrics.md); absent with no call.",
    "asa_seconds": "Today's average speed of answer.",
    "aht_seconds": "Today's average handle time (talk + hold + wrap-up).",
    "max_wait_seconds": "Today's longest wait of an ended queue visit.",
}


class LiveCollector(Collector):
    """Reads the live metrics on every scrape."""

    def __init__(self, live: LiveMetrics, clock: Callable[[], datetime]) -> None:
        self.live = live
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        snapshot = self.live.snapshot(self.clock())
        waiting = GaugeMetricFamily(
            "callcenter_queue_calls_waiting", "Callers waiting in the queue now.", labels=["queue"]
        )
        longest = GaugeMetricFamily(
            "callcenter_queue_longest_wait_seconds",
            "How long the first caller in the queue has waited.",
            labels=["queue"],
        )
        agents = GaugeMetricFamily(
            "callcenter_queue_agents", "Member agents of the queue by state.", labels=["queue", "state"]
        )
        daily = {
            name: GaugeMetricFamily(f"callcenter_queue_{name}", help_text, labels=["queue"])
            for name, help_text in QUEUE_GAUGES.items()
        }
        for q in snapshot["queues"]:
            name = q["queue"]
            waiting.add_metric([name], q["calls_waiting"])
            longest.add_metric([name], q["longest_wait_seconds"])
            for state, count in q["agents"].items():
                if isinstance(count, int):
                    agents.add_metric([name, state], count)
            for figure, family in daily.items():
                if q[figure] is not None:
                    family.add_metric([name], q[figure])
        yield waiting
        yield longest
        yield agents
        yield from daily.values()
        events = CounterMetricFamily(
            "callcenter_call_events", "Call and agent events counted by the live metrics.", labels=["type"]
        )
        for event_type, count in sorted(self.live.events.items()):
            events.add_metric([event_type], count)
        yield events


class PrometheusMetrics:
    """The app's registry and the instruments other parts set."""

    def __init__(self, live: LiveMetrics, clock: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(LiveCollector(live, clock))
        self.contacts_recorded = Counter(
            "callcenter_contacts_recorded", "Contacts written to the repository.", ["channel"], registry=self.registry
        )
        self.ami_connected = Gauge(
            "callcenter_ami_connected", "1 while the AMI link to the server is up.", ["server"], registry=self.registry
        )
        self.websocket_clients = Gauge(
            "callcenter_websocket_clients", "Websocket clients connected now.", registry=self.registry
        )
        self.screen_pop_latency = Histogram(
            "callcenter_screen_pop_latency_seconds",
            "From the agent's phone ringing to the screen-pop delivered.",
            buckets=SCREEN_POP_BUCKETS,
            registry=self.registry,
        )
