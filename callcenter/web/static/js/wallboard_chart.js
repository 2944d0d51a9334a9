// The wallboard's chart of the last hours: calls waiting, service level and abandon rate per queue.

import { legend, lineChart } from "./chart.js";

const FIGURES = [
  { key: "calls_waiting", title: "Calls waiting", unit: "", floor: 2 },
  { key: "service_level", title: "Service level", unit: " %", fixedMax: 100 },
  { key: "abandon_rate", title: "Abandon rate", unit: " %", floor: 10 },
];

export function drawHistory(container, history, queues) {
  const points = history.points;
  const names = [...new Set([...queues.map((q) => q.queue), ...points.flatMap((p) => Object.keys(p.queues))])].sort();
  const end = points.length ? new Date(points[points.length - 1].at) : new Date();
  const start = new Date(end.getTime() - history.hours * 3600 * 1000);
  const first = points.length ? new Date(points[0].at) : end;
  const xStart = first > start ? first : start;
  const targets = new Set(queues.map((q) => q.service_level_target));
  const charts = FIGURES.map((figure) => {
    const svg = lineChart({
      title: figure.title,
      unit: figure.unit,
      yFloor: figure.floor,
      yFixedMax: figure.fixedMax,
      target: figure.key === "service_level" && targets.size === 1 ? [...targets][0] : undefined,
      xStart,
      xEnd: end,
      width: 300,
      height: 140,
      series: names.map((name) => ({
        name,
        points: points.map((p) => [new Date(p.at), p.queues[name] ? p.queues[name][figure.key] : null]),
      })),
    });
    svg.dataset.figure = figure.key;
    return svg;
  });
  container.replaceChildren(...charts, legend(names));
  container.dataset.points = String(points.length);
}
