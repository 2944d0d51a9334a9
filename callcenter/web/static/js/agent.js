// The agent console: find a customer, read their history across channels, act on it.

import { api, attempt, say } from "./api.js";
import { localInputToIso, localInputValue, when } from "./format.js";
import { callbackText, caseText, renderContacts, renderList, renderNotes } from "./history.js";
import { startDesk } from "./desk.js";

const me = Number(document.querySelector(".who").dataset.userId);
const state = { customer: null, contacts: [], nextCursor: null };
const $ = (id) => document.getElementById(id);

function contactOptions(select, withCustomer) {
  const options = state.contacts.map((contact) => {
    const option = document.createElement("option");
    option.value = contact.id;
    option.textContent = `${contact.channel} · ${when(contact.started_at)} · ${contact.subject || ""}`;
    return option;
  });
  if (withCustomer) {
    const option = document.createElement("option");
    option.value = "";
    option.textContent = "The customer";
    options.unshift(option);
  }
  select.replaceChildren(...options);
}

async function openCustomer(customerId) {
  const history = await attempt(() => api("GET", `/api/customers/${customerId}/history?limit=20`));
  if (!history) return;
  const customer = history.customer;
  state.customer = customer;
  state.contacts = history.contacts;
  state.nextCursor = history.next_cursor;
  $("customer").hidden = false;
  $("customer-name").textContent = customer.display_name;
  $("customer-segment").textContent = customer.segment || "standard";
  $("customer-value").textContent = `value ${customer.value_score}`;
  $("customer-identities").textContent = customer.identities.map((i) => `${i.kind}: ${i.value}`).join(" · ");
  renderContacts($("timeline"), history.contacts);
  $("more-history").hidden = !history.next_cursor;
  renderList($("open-cases"), history.open_cases, caseText);
  renderList($("pending-callbacks"), history.pending_callbacks, callbackText);
  renderNotes($("customer-notes"), history.customer_notes);
  contactOptions($("note-contact"), true);
  contactOptions($("disposition-contact"), false);
  const phone = customer.identities.find((i) => i.kind === "phone");
  $("callback-number").value = phone ? phone.value : "";
  const start = new Date(Date.now() + 60 * 60 * 1000);
  $("callback-start").value = localInputValue(start);
  $("callback-end").value = localInputValue(new Date(start.getTime() + 60 * 60 * 1000));
}

async function loadMyWork() {
  const cases = await attempt(() => api("GET", `/api/cases?owner_id=${me}&open_only=true`));
  if (cases) renderList($("my-cases"), cases.items, caseText);
  const callbacks = await attempt(() => api("GET", `/api/callbacks?agent_id=${me}&status=pending`));
  if (callbacks) renderList($("my-callbacks"), callbacks.items, callbackText);
}

$("search").addEventListener("submit", async (event) => {
  event.preventDefault();
  const kind = $("search-kind").value;
  const value = $("search-value").value.trim();
  const found = await attempt(() => api("GET", `/api/customers?${new URLSearchParams({ [kind]: value })}`));
  if (!found) return;
  const results = $("results");
  results.replaceChildren(
    ...found.items.map((customer) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = `${customer.display_name}${customer.segment ? ` (${customer.segment})` : ""}`;
      button.addEventListener("click", () => openCustomer(customer.id));
      li.append(button);
      return li;
    }),
  );
  say(found.items.length ? `${found.items.length} found` : "No customer found");
  if (found.items.length === 1) await openCustomer(found.items[0].id);
});

$("more-history").addEventListener("click", async () => {
  const path = `/api/customers/${state.customer.id}/history?limit=20&cursor=${encodeURIComponent(state.nextCursor)}`;
  const older = await attempt(() => api("GET", path));
  if (!older) return;
  state.contacts = state.contacts.concat(older.contacts);
  state.nextCursor = older.next_cursor;
  renderContacts($("timeline"), older.contacts, { append: true });
  $("more-history").hidden = !older.next_cursor;
});

$("note-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const contactId = $("note-contact").value;
  const body = { body: $("note-body").value, private: $("note-private").checked };
  const path = contactId ? `/api/contacts/${contactId}/notes` : `/api/customers/${state.customer.id}/notes`;
  if (await attempt(() => api("POST", path, body), "Note saved")) {
    event.target.reset();
    await openCustomer(state.customer.id);
  }
});

$("disposition-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { disposition: $("disposition").value, summary: $("summary").value || null };
  if (await attempt(() => api("PATCH", `/api/contacts/${$("disposition-contact").value}`, body), "Disposition saved")) {
    await openCustomer(state.customer.id);
  }
});

$("case-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { customer_id: state.customer.id, subject: $("case-subject").value,
                 reply_due_at: localInputToIso($("case-due").value) };
  const contact = $("disposition-contact").value;
  if (contact) body.contact_ids = [Number(contact)];
  const made = await attempt(() => api("POST", "/api/cases", body));
  if (made) {
    say(`Case #${made.id} opened; you own it`);
    event.target.reset();
    await Promise.all([openCustomer(state.customer.id), loadMyWork()]);
  }
});

$("callback-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { customer_id: state.customer.id, number: $("callback-number").value, assigned_agent_id: me,
                 window_start: localInputToIso($("callback-start").value),
                 window_end: localInputToIso($("callback-end").value) };
  if (await attempt(() => api("POST", "/api/callbacks", body), "Callback scheduled")) {
    await Promise.all([openCustomer(state.customer.id), loadMyWork()]);
  }
});

$("logout").addEventListener("click", async () => {
  await attempt(() => api("POST", "/api/auth/logout"));
  window.location.assign("/login");
});

loadMyWork();
startDesk({
  openCustomer,
  refresh: async () => Promise.all([state.customer ? openCustomer(state.customer.id) : null, loadMyWork()]),
});
