"""The supervisors' wallboard: live figures and alerts pushed over the hub, the chart's history, agent actions.

Messages on the ``supervisors`` stream (``{"seq", "type", "stream", "data"}``, see :mod:`callcenter.realtime`):

* ``snapshot`` (on join or resume past the buffer): ``{"figures": <queues message data>, "agents": [agent...],
  "alerts": [alert...], "history": {"sample_seconds", "hours", "points": [point...]}}``;
* ``figures.queues``: ``{"at", "day", "timezone", "version", "queues": [queue...]}``, every queue's whole
  state (the fields of ``GET /api/metrics/live``), sent at most once per ``publish_interval`` when a figure
  changed;
* ``figures.agents``: ``{"at", "agents": [agent...]}``, the whole state of the agents that changed since the
  last one (``interface``, ``server``, ``name``, ``state``, ``reason``, ``seconds_in_state``, ``queues``,
  ``calls_handled``, ``aht_seconds``, ``pause_seconds`` ...);
* ``history.point``: ``{"at", "queues": {name: {"calls_waiting", "service_level", "abandon_rate"}}}`` every
  ``history_sample_seconds``;
* ``alert.raised`` / ``alert.cleared`` / ``alert.acknowledged``: the alert as ``GET /api/alerts`` lists it.
"""
