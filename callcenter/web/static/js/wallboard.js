// The supervisors' wallboard: queues, agents, chart and alerts, live over /ws/supervisor.

import { api, attempt, say } from "./api.js";
import { LiveStream } from "./live.js";
import { drawHistory } from "./wallboard_chart.js";
import { agentRow, queueRow, seconds } from "./wallboard_rows.js";

const $ = (id) => document.getElementById(id);
const board = $("board");
const longestWaitAlert = Number(board.dataset.longestWaitAlert);

const state = {
  at: null, // the server time of the last figures, and when they arrived here
  receivedAt: 0,
  queues: [],
  agents: new Map(),
  alerts: new Map(),
  history: { sample_seconds: 60, hours: 4, points: [] },
};
const queueRows = new Map();
const agentRows = new Map();

// Seconds elapsed since the figures were taken: waits and times in state tick between messages.
function drift() {
  return state.receivedAt ? (Date.now() - state.receivedAt) / 1000 : 0;
}

function showQueues(message) {
  state.at = new Date(message.at);
  state.receivedAt = Date.now();
  state.queues = message.queues;
  $("day").textContent = message.day;
  $("timezone").textContent = message.timezone;
  $("updated").textContent = state.at.toLocaleTimeString();
  $("updated").dateTime = message.at;
  const body = $("queues").tBodies[0];
  const seen = new Set();
  for (const queue of message.queues) {
    seen.add(queue.queue);
    let row = queueRows.get(queue.queue);
    if (!row) {
      row = body.insertRow();
      row.dataset.queue = queue.queue;
      queueRows.set(queue.queue, row);
    }
    queueRow(row, queue, longestWaitAlert, 0);
  }
  for (const [name, row] of queueRows) {
    if (!seen.has(name)) {
      row.remove();
      queueRows.delete(name);
    }
  }
}

const actionsOf = {
  pause: (agent) => ({ path: "pause", body: { interface: agent.interface, reason: $("pause-reason").value } }),
  unpause: (agent) => ({ path: "unpause", body: { interface: agent.interface } }),
  logoff: (agent) => ({ path: "logoff", body: { interface: agent.interface } }),
};

async function act(kind, interfaceName, button) {
  const agent = state.agents.get(interfaceName);
  if (!agent) return;
  const { path, body } = actionsOf[kind](agent);
  button.disabled = true;
  const label = agent.name || agent.interface;
  const done = { pause: `${label} paused`, unpause: `${label} is available again`, logoff: `${label} logged off` }[kind];
  await attempt(() => api("POST", `/api/supervisor/agents/${path}`, body), `${done} (Asterisk accepted; the board follows its events)`);
  button.disabled = false;
}

function showAgents(agents) {
  const body = $("agents").tBodies[0];
  const now = Date.now();
  for (const agent of agents) {
    agent.receivedAt = now;
    state.agents.set(agent.interface, agent);
    let row = agentRows.get(agent.interface);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.interface = agent.interface;
      agentRows.set(agent.interface, row);
      const after = [...agentRows.keys()].sort().find((key) => key > agent.interface && agentRows.get(key).isConnected);
      body.insertBefore(row, after ? agentRows.get(after) : null);
    }
    agentRow(row, agent, 0, act);
  }
}

function alertVisible(alert) {
  return $("show-closed").checked || alert.active || !alert.acknowledged_at;
}

function showAlert(alert) {
  state.alerts.set(alert.id, alert);
  const list = $("alerts");
  let item = list.querySelector(`[data-alert-id="${alert.id}"]`);
  if (!item) {
    item = document.createElement("li");
    item.dataset.alertId = alert.id;
    item.innerHTML = `<div class="alert-head"><span class="alert-state"></span> <strong class="alert-message"></strong></div>
      <div class="alert-meta muted"></div>`;
    list.prepend(item);
  }
  item.className = `alert ${alert.active ? "open" : "closed"} ${alert.acknowledged_at ? "acknowledged" : ""}`;
  item.dataset.kind = alert.kind;
  const status = alert.active ? (alert.acknowledged_at ? "OPEN · seen" : "OPEN") : "CLEARED";
  item.querySelector(".alert-state").textContent = status;
  item.querySelector(".alert-message").textContent = alert.message;
  const meta = [`raised ${new Date(alert.raised_at).toLocaleTimeString()}`];
  if (alert.cleared_at) meta.push(`cleared ${new Date(alert.cleared_at).toLocaleTimeString()}`);
  if (alert.acknowledged_by) {
    meta.push(`acknowledged by ${alert.acknowledged_by} at ${new Date(alert.acknowledged_at).toLocaleTimeString()}`);
  }
  item.querySelector(".alert-meta").textContent = meta.join(" · ");
  let button = item.querySelector("button");
  if (!alert.acknowledged_at && !button) {
    button = document.createElement("button");
    button.type = "button";
    button.textContent = "Acknowledge";
    button.setAttribute("aria-label", `Acknowledge: ${alert.message}`);
    button.addEventListener("click", async () => {
      button.disabled = true;
      const result = await attempt(() => api("POST", `/api/alerts/${alert.id}/acknowledge`), "Alert acknowledged");
      if (result) showAlert(result);
      else button.disabled = false;
    });
    item.append(button);
  } else if (alert.acknowledged_at && button) {
    button.remove();
  }
  item.hidden = !alertVisible(alert);
  // With an AMI link down, what the board shows of that Asterisk is what it last said.
  const down = [...state.alerts.values()].filter((a) => a.kind === "ami_down" && a.active).map((a) => a.subject);
  $("stale").hidden = down.length === 0;
  $("stale").textContent = down.length ? `⚠ No link to Asterisk ${down.join(", ")}: its figures are not up to date` : "";
  const open = [...state.alerts.values()].filter((a) => a.active && !a.acknowledged_at).length;
  $("alert-count").textContent = open ? `(${open} to acknowledge)` : "";
}

function redrawChart() {
  drawHistory($("charts"), state.history, state.queues);
  const hours = state.history.hours;
  $("chart-span").textContent = `${hours} h, a point every ${seconds(state.history.sample_seconds)}`;
}

function onSnapshot(data) {
  showQueues(data.figures);
  $("agents").tBodies[0].replaceChildren();
  agentRows.clear();
  state.agents.clear();
  showAgents(data.agents);
  $("alerts").replaceChildren();
  state.alerts.clear();
  for (const alert of [...data.alerts].reverse()) showAlert(alert);
  state.history = data.history;
  redrawChart();
}

function onMessage(message) {
  const { type, data } = message;
  if (type === "figures.queues") showQueues(data);
  else if (type === "figures.agents") showAgents(data.agents);
  else if (type.startsWith("alert.")) showAlert(data);
  else if (type === "history.point") {
    state.history.points.push(data);
    const keep = Math.max(2, Math.floor((state.history.hours * 3600) / state.history.sample_seconds));
    state.history.points.splice(0, Math.max(0, state.history.points.length - keep));
    redrawChart();
  }
}

function onState(linkState, detail) {
  const link = $("link");
  link.dataset.state = linkState;
  link.textContent = { connecting: "Connecting…", live: "● Live", reconnecting: "Reconnecting…" }[linkState];
  if (detail) say(detail, linkState !== "live");
  else if (linkState === "live") say("");
}

// Between messages, waits and times in state keep counting on the page.
setInterval(() => {
  const elapsed = drift();
  for (const queue of state.queues) {
    const row = queueRows.get(queue.queue);
    if (row) queueRow(row, queue, longestWaitAlert, elapsed);
  }
  for (const agent of state.agents.values()) {
    const row = agentRows.get(agent.interface);
    if (row) agentRow(row, agent, (Date.now() - agent.receivedAt) / 1000, act);
  }
}, 1000);

$("show-closed").addEventListener("change", () => {
  for (const alert of state.alerts.values()) showAlert(alert);
});
$("logout").addEventListener("click", async () => {
  await attempt(() => api("POST", "/api/auth/logout"));
  window.location.assign("/login?next=/wallboard");
});

new LiveStream("/ws/supervisor", { onSnapshot, onMessage, onState }).connect();
