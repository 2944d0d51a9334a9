// Line charts drawn as SVG: one line per series, told apart by colour, dash pattern and a legend.

const NS = "http://www.w3.org/2000/svg";
const STYLES = [
  { colour: "#0b5cad", dash: "" },
  { colour: "#b35900", dash: "6 3" },
  { colour: "#2d7a2d", dash: "2 3" },
  { colour: "#7a2d7a", dash: "10 3 2 3" },
  { colour: "#444", dash: "1 2" },
];

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function seriesStyle(index) {
  return STYLES[index % STYLES.length];
}

function niceMax(value, floor) {
  const top = Math.max(value, floor);
  const step = 10 ** Math.floor(Math.log10(top));
  return Math.ceil(top / step) * step;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const clockSeconds = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

// spec: {title, unit, series: [{name, points: [[Date, number|null]]}], yMin, yFloor, yFixedMax, target,
//        xStart, xEnd, width, height, xLabel(date)}
export function lineChart(spec) {
  const width = spec.width || 420;
  const height = spec.height || 150;
  const pad = { left: 38, right: 8, top: 18, bottom: 20 };
  const values = spec.series.flatMap((s) => s.points.map((p) => p[1]).filter((v) => v !== null));
  const yMax = spec.yFixedMax ?? niceMax(values.length ? Math.max(...values) : 0, spec.yFloor ?? 1);
  const xStart = spec.xStart.getTime();
  const xSpan = Math.max(1, spec.xEnd.getTime() - xStart);
  const x = (date) => pad.left + ((date.getTime() - xStart) / xSpan) * (width - pad.left - pad.right);
  const y = (value) => height - pad.bottom - (value / yMax) * (height - pad.top - pad.bottom);
  const summary = spec.series
    .map((s) => {
      const last = [...s.points].reverse().find((p) => p[1] !== null);
      return `${s.name}: ${last ? `${last[1]}${spec.unit}` : "no data"}`;
    })
    .join("; ");
  const svg = el("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${spec.title}. Latest values: ${summary || "no data"}`,
    class: "line-chart",
  });
  svg.append(el("title", {}, spec.title));
  svg.append(el("text", { x: pad.left, y: 12, class: "chart-title" }, `${spec.title}${spec.unit ? ` (${spec.unit.trim()})` : ""}`));
  for (const fraction of [0, 0.5, 1]) {
    const value = yMax * fraction;
    svg.append(el("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: "grid" }));
    svg.append(el("text", { x: pad.left - 4, y: y(value) + 4, class: "axis", "text-anchor": "end" }, `${+value.toFixed(1)}`));
  }
  if (spec.target !== undefined && spec.target !== null) {
    svg.append(el("line", { x1: pad.left, x2: width - pad.right, y1: y(spec.target), y2: y(spec.target), class: "target" }));
    svg.append(el("text", { x: width - pad.right, y: y(spec.target) - 3, class: "axis", "text-anchor": "end" }, `target ${spec.target}`));
  }
  // Under ten minutes of data, minutes alone would label both ends alike.
  const label = spec.xLabel || ((date) => (xSpan < 600000 ? clockSeconds : clock).format(date));
  svg.append(el("text", { x: pad.left, y: height - 4, class: "axis" }, label(spec.xStart)));
  svg.append(el("text", { x: width - pad.right, y: height - 4, class: "axis", "text-anchor": "end" }, label(spec.xEnd)));
  spec.series.forEach((series, index) => {
    const style = seriesStyle(index);
    let path = "";
    let pen = "M";
    for (const [date, value] of series.points) {
      if (value === null || value === undefined) {
        pen = "M";
        continue;
      }
      path += `${pen}${x(date).toFixed(1)},${y(value).toFixed(1)} `;
      pen = "L";
    }
    if (path) {
      const line = el("path", { d: path, fill: "none", stroke: style.colour, "stroke-width": 2, class: "series" });
      if (style.dash) line.setAttribute("stroke-dasharray", style.dash);
      line.dataset.series = series.name;
      svg.append(line);
    }
    // A value with no neighbour draws no line: mark it with a dot so it is not lost.
    const present = (i) => i >= 0 && i < series.points.length && series.points[i][1] !== null && series.points[i][1] !== undefined;
    series.points.forEach(([date, value], i) => {
      if (present(i) && !present(i - 1) && !present(i + 1)) {
        svg.append(el("circle", { cx: x(date), cy: y(value), r: 3, fill: style.colour, class: "lonely" }));
      }
    });
  });
  return svg;
}

// A legend that names each series with its colour and dash pattern (not colour alone).
export function legend(names) {
  const list = document.createElement("ul");
  list.className = "chart-legend";
  names.forEach((name, index) => {
    const style = seriesStyle(index);
    const item = document.createElement("li");
    const swatch = el("svg", { width: 28, height: 10, "aria-hidden": "true" });
    const line = el("line", { x1: 0, x2: 28, y1: 5, y2: 5, stroke: style.colour, "stroke-width": 2 });
    if (style.dash) line.setAttribute("stroke-dasharray", style.dash);
    swatch.append(line);
    item.append(swatch, document.createTextNode(` ${name}`));
    list.append(item);
  });
  return list;
}
