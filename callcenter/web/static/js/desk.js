// The live part of the console: the agent's state, the ringing card, the active call, the wrap-up.
// The server owns the state; this page only draws what the agent's stream says and sends actions.

import { api, attempt, say } from "./api.js";
import { when } from "./format.js";
import { callbackText, caseText, renderList } from "./history.js";
import { LiveStream } from "./live.js";

const $ = (id) => document.getElementById(id);
const STATE_LABELS = {
  ready: "Ready", paused: "Paused", ringing: "Ringing", on_call: "On a call", wrap_up: "Wrap-up",
  unreachable: "Phone unreachable", logged_out: "Logged out",
};
const desk = { call: null, wrapUp: null, timer: null };
let hooks = { openCustomer: async () => {}, refresh: async () => {} };

function showState(state, reason) {
  $("agent-state").textContent = STATE_LABELS[state] || state;
  $("agent-state").dataset.state = state;
  $("agent-reason").textContent = reason ? `(${reason})` : "";
}

function duration(fromIso) {
  const seconds = Math.max(0, Math.floor((Date.now() - new Date(fromIso).getTime()) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

// The server's clock may run ahead of this computer's: never start the count in the future.
function startTimer(fromIso) {
  clearInterval(desk.timer);
  const from = new Date(Math.min(new Date(fromIso).getTime(), Date.now())).toISOString();
  const tick = () => { $("live-timer").textContent = duration(from); };
  tick();
  desk.timer = setInterval(tick, 1000);
}

function ivrText(call) {
  const path = (call.ivr_path || []).join(" → ");
  const inputs = Object.entries(call.ivr_inputs || {}).map(([node, value]) => `${node}: ${value}`).join(", ");
  return [path && `IVR path ${path}`, inputs && `keyed ${inputs}`].filter(Boolean).join(" · ");
}

function historyItem(contact) {
  const notes = (contact.notes || []).map((note) => note.body).join(" / ");
  return `${contact.channel} · ${when(contact.started_at)} · ${contact.subject || contact.summary || ""}` +
    `${contact.disposition ? ` · ${contact.disposition}` : ""}${notes ? ` — ${notes}` : ""}`;
}

function showCall(call) {
  desk.call = call;
  const card = call.card || {};
  const customer = card.customer;
  const box = $("live-call");
  box.hidden = false;
  box.classList.toggle("ringing", call.phase === "ringing");
  box.classList.toggle("connected", call.phase === "connected");
  $("live-phase").textContent = call.phase === "ringing" ? "Incoming call:" : "On call with";
  $("live-caller").textContent = customer ? `${customer.display_name} (${call.caller_number || "no number"})`
    : (card.suggested_customer || {}).display_name || call.caller_number || "Unknown caller";
  $("live-segment").textContent = customer ? customer.segment || "standard" : "unknown";
  $("live-value").textContent = customer ? `value ${customer.value_score}` : "";
  $("live-queue").textContent = `Queue ${call.queue || "—"} · rang at ${when(call.rang_at)}`;
  $("live-ivr").textContent = ivrText(card.call || {});
  $("live-unknown").hidden = Boolean(customer);
  $("unknown-number").textContent = call.caller_number || "";
  const history = card.history || { contacts: [], open_cases: [], pending_callbacks: [] };
  renderList($("live-history"), history.contacts.slice(0, 5), historyItem);
  renderList($("live-cases"), history.open_cases, caseText);
  renderList($("live-callbacks"), history.pending_callbacks, callbackText);
  $("call-controls").hidden = call.phase !== "connected";
  startTimer(call.phase === "connected" ? call.answered_at : call.rang_at);
  if (customer) hooks.openCustomer(customer.id);
}

function clearCall() {
  desk.call = null;
  clearInterval(desk.timer);
  $("live-call").hidden = true;
}

function showWrapUp(wrapUp) {
  desk.wrapUp = wrapUp;
  $("wrap-up-form").hidden = !wrapUp;
  if (!wrapUp) return;
  $("wrap-up-disposition").required = wrapUp.disposition_required;
  $("wrap-up-required").textContent = wrapUp.disposition_required ? "(this queue needs a disposition)" : "";
}

function drawSnapshot(data) {
  if (!data) return;
  showState(data.state, data.reason);
  if (data.call) showCall(data.call); else clearCall();
  showWrapUp(data.wrap_up);
}

function onMessage(message) {
  const data = message.data;
  switch (message.type) {
    case "agent.state": showState(data.state, data.reason); break;
    case "call.ringing": showWrapUp(null); showCall(data.call); say("Incoming call"); break;
    case "call.connected": showCall(data.call); break;
    case "call.missed": if (desk.call && desk.call.id === data.call_id) clearCall(); say(`Call missed: ${data.reason}`); break;
    case "call.ended":
      clearCall();
      showWrapUp(data);
      say(data.disposition_required ? "Call ended: write the disposition" : "Call ended");
      break;
    case "call.recorded": hooks.openCustomer(data.customer_id); break;
    case "call.wrapped_up": showWrapUp(null); break;
    default: break;
  }
}

export function startDesk(options) {
  hooks = options;
  const stream = new LiveStream("/ws/agent", {
    onSnapshot: drawSnapshot,
    onMessage,
    onState: (state, detail) => {
      $("link-state").textContent = state === "live" ? "" : "(reconnecting…)";
      if (detail) say(detail, true);
    },
  });
  stream.connect();

  $("go-ready").addEventListener("click", () => attempt(() => api("POST", "/api/agent/ready"), "Asked to go ready"));
  $("go-pause").addEventListener("click", () =>
    attempt(() => api("POST", "/api/agent/pause", { reason: $("pause-reason").value }), "Asked to pause"));
  $("dial-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await attempt(() => api("POST", "/api/agent/call", { number: $("dial-number").value }), "Your phone rings first");
  });
  $("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await attempt(() => api("POST", "/api/agent/transfer", { target: $("transfer-target").value }), "Transferred");
  });
  $("hang-up").addEventListener("click", () => attempt(() => api("POST", "/api/agent/hangup"), "Hanging up"));
  $("create-customer").addEventListener("click", async () => {
    const suggested = (desk.call && desk.call.card && desk.call.card.suggested_customer) || {};
    const body = { display_name: suggested.display_name || "New customer",
                   identities: suggested.phone ? [{ kind: "phone", value: suggested.phone }] : [] };
    const made = await attempt(() => api("POST", "/api/customers", body), "Customer created");
    if (made) {
      $("live-unknown").hidden = true;
      await hooks.openCustomer(made.id);
    }
  });
  $("wrap-up-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { disposition: $("wrap-up-disposition").value || null, summary: $("wrap-up-summary").value || null };
    if (await attempt(() => api("POST", "/api/agent/wrap-up", body), "Wrap-up done")) {
      event.target.reset();
      await hooks.refresh();
    }
  });
}
