// Interval reports: a chart per report over the report endpoints, the rows as a table, a CSV link.

import { api, attempt, say } from "./api.js";
import { legend, lineChart } from "./chart.js";

const $ = (id) => document.getElementById(id);
const form = $("report-form");
const today = new Date();
const iso = (date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
form.start.value = iso(today);
form.end.value = iso(today);

const QUEUE_CHARTS = [
  { title: "Offered", key: "offered", unit: "" },
  { title: "Service level", key: "service_level", unit: " %", fixedMax: 100 },
  { title: "Abandon rate", key: "abandon_rate", unit: " %", floor: 10 },
  { title: "AHT", key: "aht_seconds", unit: " s" },
];
const AGENT_CHARTS = [
  { title: "Calls handled", key: "calls_handled", unit: "" },
  { title: "Occupancy", key: "occupancy", unit: " %", fixedMax: 100 },
];
const QUEUE_COLUMNS = ["interval_start", "queue", "offered", "answered", "abandoned", "short_abandoned", "service_level", "abandon_rate", "asa_seconds", "aht_seconds", "max_wait_seconds"];
const AGENT_COLUMNS = ["interval_start", "agent_interface", "name", "calls_handled", "talk_seconds", "hold_seconds", "wrapup_seconds", "aht_seconds", "occupancy", "pause_seconds"];

function query(format) {
  const params = new URLSearchParams({ start: form.start.value, end: form.end.value, interval: form.interval.value });
  if (format) params.set("format", format);
  return `/api/reports/${form.kind.value}?${params}`;
}

function cellText(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k} ${v}`).join(", ") || "–";
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) return value.slice(0, 16).replace("T", " ");
  return String(value);
}

function drawCharts(report, kind) {
  const seriesKey = kind === "queues" ? "queue" : "agent_interface";
  const names = [...new Set(report.rows.map((r) => r[seriesKey]))].sort();
  const starts = [...new Set(report.rows.map((r) => r.interval_start))].sort();
  const labels = names.map((name) => {
    const row = report.rows.find((r) => r[seriesKey] === name);
    return kind === "agents" && row.name ? row.name : name;
  });
  const dates = starts.map((s) => new Date(s));
  const specs = kind === "queues" ? QUEUE_CHARTS : AGENT_CHARTS;
  const dayLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const charts = specs.map((spec) => {
    const svg = lineChart({
      title: spec.title,
      unit: spec.unit,
      yFloor: spec.floor || 1,
      yFixedMax: spec.fixedMax,
      xStart: dates[0] || new Date(),
      xEnd: dates[dates.length - 1] || new Date(),
      xLabel: (date) => dayLabel.format(date),
      width: 320,
      height: 150,
      series: names.map((name, index) => ({
        name: labels[index],
        points: report.rows.filter((r) => r[seriesKey] === name).map((r) => [new Date(r.interval_start), r[spec.key]]),
      })),
    });
    svg.dataset.figure = spec.key;
    return svg;
  });
  $("report-charts").replaceChildren(...charts, legend(labels));
}

function drawTable(report, kind) {
  const columns = kind === "queues" ? QUEUE_COLUMNS : AGENT_COLUMNS;
  const head = document.createElement("tr");
  for (const column of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = column.replaceAll("_", " ");
    head.append(th);
  }
  $("report-table").tHead.replaceChildren(head);
  // Quiet intervals (no number other than zero) are left out of the table; the CSV has every one.
  const rows = report.rows.filter((row) => columns.some((c) => typeof row[c] === "number" && row[c] !== 0));
  $("report-table").tBodies[0].replaceChildren(
    ...rows.map((row) => {
      const tr = document.createElement("tr");
      for (const column of columns) tr.insertCell().textContent = cellText(row[column]);
      return tr;
    }),
  );
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const kind = form.kind.value;
  const report = await attempt(() => api("GET", query()));
  if (!report) return;
  $("report").hidden = false;
  $("report-title").textContent = `${kind === "queues" ? "Queues" : "Agents"} ${report.start} – ${report.end}, per ${report.interval} (${report.timezone})`;
  drawCharts(report, kind);
  drawTable(report, kind);
  const link = $("csv-link");
  link.href = query("csv");
  link.hidden = false;
  say(report.rows.length ? `${report.rows.length} rows` : "No calls in this range");
});

$("logout").addEventListener("click", async () => {
  await attempt(() => api("POST", "/api/auth/logout"));
  window.location.assign("/login?next=/reports");
});
