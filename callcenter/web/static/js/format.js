// Dates and times as the agent reads them, in the browser's own time zone.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function when(iso) {
  return iso ? dateTime.format(new Date(iso)) : "";
}

// A value of <input type="datetime-local"> as an ISO instant with the browser's offset.
export function localInputToIso(value) {
  return value ? new Date(value).toISOString() : null;
}

export function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
