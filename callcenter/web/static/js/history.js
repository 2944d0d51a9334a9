// Renders a customer's history document (GET /api/customers/{id}/history) into the console.

import { when } from "./format.js";

const CHANNEL_LABELS = { voice: "Call", ivr: "IVR", email: "E-mail", web: "Web", chat: "Chat", sms: "SMS" };

function noteItem(note) {
  const li = document.createElement("li");
  li.textContent = `${note.body} — ${when(note.created_at)}${note.private ? " (private)" : ""}`;
  return li;
}

export function renderContacts(list, contacts, { append = false } = {}) {
  const template = document.getElementById("contact-item");
  if (!append) list.replaceChildren();
  for (const contact of contacts) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.contactId = contact.id;
    item.querySelector(".channel").textContent = CHANNEL_LABELS[contact.channel] || contact.channel;
    const time = item.querySelector("time");
    time.dateTime = contact.started_at;
    time.textContent = when(contact.started_at);
    item.querySelector(".outcome").textContent = [contact.outcome, contact.disposition].filter(Boolean).join(" · ");
    item.querySelector(".subject").textContent = contact.subject || contact.summary || "";
    const inputs = Object.entries(contact.ivr_inputs || {}).map(([key, value]) => `${key}: ${value}`);
    item.querySelector(".ivr").textContent = inputs.length ? `IVR ${inputs.join(", ")}` : "";
    item.querySelector(".notes").replaceChildren(...contact.notes.map(noteItem));
    list.append(item);
  }
}

export function renderList(list, items, text) {
  list.replaceChildren(
    ...items.map((entry) => {
      const li = document.createElement("li");
      li.textContent = text(entry);
      return li;
    }),
  );
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "None";
    list.append(li);
  }
}

export function renderNotes(list, notes) {
  renderList(list, notes, (note) => `${note.body} — ${when(note.created_at)}${note.private ? " (private)" : ""}`);
}

export function caseText(item) {
  return `#${item.id} ${item.subject} · ${item.status}${item.reply_due_at ? ` · reply by ${when(item.reply_due_at)}` : ""}`;
}

export function callbackText(item) {
  return `${item.number} · ${when(item.window_start)} – ${when(item.window_end)}`;
}
