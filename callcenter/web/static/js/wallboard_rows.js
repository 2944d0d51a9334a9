// Table rows of the wallboard, updated in place so keyboard focus survives live updates.
// Thresholds show as a colour *and* a symbol and a spoken word, never by colour alone.

const LEVEL_TEXT = { warn: "watch", bad: "act now" };
const LEVEL_MARK = { warn: "▲ ", bad: "⚠ " };

export function seconds(value) {
  if (value === null || value === undefined) return "–";
  const total = Math.max(0, Math.round(value));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}:${String(total % 60).padStart(2, "0")}`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")}`;
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${value.toFixed(1)} %`;
}

// The first cell names the row (a row header for screen readers); the others are data.
function cells(row, count) {
  while (row.cells.length < count) {
    if (row.cells.length === 0) {
      const header = document.createElement("th");
      header.scope = "row";
      row.append(header);
    } else {
      row.insertCell();
    }
  }
  return row.cells;
}

// Set a cell's text and threshold level (ok / warn / bad / none).
function show(cell, text, level = "none", why = "") {
  if (cell.dataset.text === text && cell.dataset.level === level) return;
  cell.dataset.text = text;
  cell.dataset.level = level;
  cell.className = level === "none" ? "" : `level level-${level}`;
  cell.replaceChildren();
  if (LEVEL_MARK[level]) {
    const mark = document.createElement("span");
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = LEVEL_MARK[level];
    cell.append(mark);
  }
  cell.append(document.createTextNode(text));
  if (LEVEL_TEXT[level]) {
    const spoken = document.createElement("span");
    spoken.className = "visually-hidden";
    spoken.textContent = ` (${LEVEL_TEXT[level]}${why ? `: ${why}` : ""})`;
    cell.append(spoken);
  }
  cell.title = why;
}

function serviceLevelLevel(queue) {
  const value = queue.service_level;
  if (value === null || value === undefined) return "none";
  if (value < queue.service_level_target) return "bad";
  return value < queue.service_level_target + 5 ? "warn" : "ok";
}

export function queueRow(row, queue, longestWaitAlert, elapsed) {
  const c = cells(row, 12);
  const agents = queue.agents;
  const waiting = queue.calls_waiting;
  const wait = waiting > 0 ? queue.longest_wait_seconds + elapsed : 0;
  const nobody = waiting > 0 && agents.ready + agents.ringing === 0;
  if (c[0].dataset.text !== queue.queue) {
    c[0].dataset.text = queue.queue;
    c[0].replaceChildren(Object.assign(document.createElement("strong"), { textContent: queue.queue }));
  }
  show(c[1], String(waiting), nobody ? "bad" : waiting > 0 ? "warn" : "ok", nobody ? "callers waiting, no agent ready" : "");
  const waitLevel = waiting === 0 ? "ok" : wait > longestWaitAlert ? "bad" : wait > longestWaitAlert / 2 ? "warn" : "ok";
  show(c[2], waiting ? seconds(wait) : "–", waitLevel, waitLevel === "ok" ? "" : `alert at ${longestWaitAlert} s`);
  const paused = Object.entries(agents.paused_by_reason || {}).map(([r, n]) => `${n} ${r}`).join(", ");
  show(c[3], `${agents.ready}·${agents.ringing}·${agents.on_call}·${agents.wrap_up}·${agents.paused}`);
  c[3].title = `${agents.logged_in} logged in: ${agents.ready} ready, ${agents.ringing} ringing, ${agents.on_call} on call, ${agents.wrap_up} wrap-up, ${agents.paused} paused${paused ? ` (${paused})` : ""}`;
  show(c[4], String(queue.offered));
  show(c[5], String(queue.answered));
  show(c[6], `${queue.abandoned}${queue.short_abandoned ? ` (${queue.short_abandoned} short)` : ""}`);
  show(c[7], percent(queue.abandon_rate));
  const slLevel = serviceLevelLevel(queue);
  show(c[8], percent(queue.service_level), slLevel, `target ${queue.service_level_target} % within ${queue.service_level_threshold_seconds} s`);
  show(c[9], seconds(queue.asa_seconds));
  show(c[10], seconds(queue.aht_seconds));
  show(c[11], percent(queue.occupancy));
}

const STATE_LABEL = {
  ready: "Ready",
  ringing: "Ringing",
  on_call: "On call",
  wrap_up: "Wrap-up",
  paused: "Paused",
  logged_out: "Logged out",
  unavailable: "Unreachable",
};
const ACTIONS = [
  ["pause", "Pause"],
  ["unpause", "Unpause"],
  ["logoff", "Log off"],
];

export function agentRow(row, agent, elapsed, act) {
  const c = cells(row, 8);
  const name = agent.name || agent.interface;
  if (!c[0].dataset.text) {
    c[0].dataset.text = name;
    c[0].innerHTML = `<strong></strong><br><span class="muted small"></span>`;
    c[0].querySelector("strong").textContent = name;
    c[0].querySelector("span").textContent = agent.interface;
  }
  const state = agent.state || "unknown";
  const label = `${STATE_LABEL[state] || state}${state === "paused" && agent.reason ? ` · ${agent.reason}` : ""}`;
  if (c[1].dataset.text !== label) {
    c[1].dataset.text = label;
    c[1].replaceChildren(Object.assign(document.createElement("span"), { className: `state state-${state}`, textContent: label }));
  }
  const inState = agent.seconds_in_state === null ? null : agent.seconds_in_state + elapsed;
  show(c[2], seconds(inState));
  show(c[3], agent.queues.join(", ") || "–");
  show(c[4], String(agent.calls_handled));
  show(c[5], seconds(agent.aht_seconds));
  show(c[6], percent(agent.occupancy));
  if (!c[7].childElementCount) {
    c[7].className = "row-actions";
    for (const [kind, text] of ACTIONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = kind;
      button.textContent = text;
      button.setAttribute("aria-label", `${text} ${name}`);
      button.addEventListener("click", () => act(kind, agent.interface, button));
      c[7].append(button);
    }
  }
  const loggedIn = agent.queues.length > 0 && state !== "logged_out";
  c[7].querySelector('[data-action="pause"]').hidden = !loggedIn || state === "paused";
  c[7].querySelector('[data-action="unpause"]').hidden = !loggedIn || state !== "paused";
  c[7].querySelector('[data-action="logoff"]').hidden = !loggedIn;
}
