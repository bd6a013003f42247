// A line chart on the teacher's page (viz/page_charts.py), drawn as SVG: a title, a subtitle
// (unit and which way is better), axes, one line per series (a gap where a value is null),
// and a legend. After each frame it tells the server it is drawn (`drawn`), which is what
// lets the server send the next one (viz/page_frames.py).

const SVG = "http://www.w3.org/2000/svg";
const MARGIN = { left: 44, right: 12, top: 44, bottom: 34 };

function node(parent, name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  parent.appendChild(element);
  return element;
}

function yRange(series, bounded) {
  if (bounded) return [0, 1];
  let low = 0, high = 0;
  for (const s of series) for (const v of s.values) if (v !== null) { low = Math.min(low, v); high = Math.max(high, v); }
  const pad = Math.max((high - low) * 0.1, 0.02);
  return [low < 0 ? low - pad : 0, high + pad];
}

function ticks(low, high, count) {
  const raw = (high - low) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let t = Math.ceil(low / step) * step; t <= high + 1e-9; t += step) out.push(Math.round(t / step) * step);
  return out;
}

function render({ model, el }) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "crmsim-chart");
  svg.style.display = "block";
  svg.style.width = "100%";
  el.appendChild(svg);
  const format = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });

  // The legend: each metric in its colour, then (two scenarios) each scenario in its line style.
  function legend(series) {
    const items = [];
    const seen = new Set();
    for (const s of series) {
      if (!seen.has("m" + s.metric)) { seen.add("m" + s.metric); items.push({ label: s.metric, colour: s.colour, dash: "" }); }
    }
    for (const s of series) {
      if (s.scenario && !seen.has("s" + s.scenario)) { seen.add("s" + s.scenario); items.push({ label: s.scenario, colour: "#555", dash: s.dash, scenario: true }); }
    }
    return items;
  }

  function draw() {
    const width = Math.max(el.clientWidth, 240);
    const series = model.get("series");
    const items = legend(series);
    const legendRows = series.some((s) => s.scenario) ? 2 : 1;
    const height = model.get("height") + 16 * legendRows;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.style.height = height + "px";
    svg.replaceChildren();
    const plot = { left: MARGIN.left, top: MARGIN.top, width: width - MARGIN.left - MARGIN.right,
                   height: model.get("height") - MARGIN.top - MARGIN.bottom };
    node(svg, "text", { x: 4, y: 15, "font-size": 14, "font-weight": "bold" }, model.get("title"));
    node(svg, "text", { x: 4, y: 31, "font-size": 11, fill: "#555" }, model.get("subtitle"));

    const weeks = Math.max(model.get("weeks"), 1);
    const [low, high] = yRange(series, model.get("bounded"));
    const x = (week) => plot.left + (week / weeks) * plot.width;
    const y = (value) => plot.top + plot.height - ((value - low) / (high - low)) * plot.height;

    for (const t of ticks(low, high, 4)) {
      node(svg, "line", { x1: plot.left, x2: plot.left + plot.width, y1: y(t), y2: y(t), stroke: "#e5e5e5" });
      node(svg, "text", { x: plot.left - 4, y: y(t) + 4, "font-size": 10, "text-anchor": "end", fill: "#555" }, format.format(t));
    }
    for (const t of ticks(0, weeks, 4)) {
      node(svg, "text", { x: x(t), y: plot.top + plot.height + 14, "font-size": 10, "text-anchor": "middle", fill: "#555" }, format.format(t));
    }
    node(svg, "text", { x: plot.left + plot.width / 2, y: plot.top + plot.height + 28, "font-size": 10, "text-anchor": "middle", fill: "#555" }, model.get("x_label"));
    node(svg, "line", { x1: plot.left, x2: plot.left, y1: plot.top, y2: plot.top + plot.height, stroke: "#999" });

    let points = 0;
    const xs = model.get("x");
    series.forEach((s) => {
      let d = "";
      let pen = "M";
      s.values.forEach((v, k) => {
        if (v === null) { pen = "M"; return; }
        d += `${pen}${x(xs[k]).toFixed(1)},${y(v).toFixed(1)}`;
        pen = "L";
        points += 1;
      });
      node(svg, "path", { d, fill: "none", stroke: s.colour, "stroke-width": 2, "stroke-dasharray": s.dash });
    });
    let lx = 4, row = 0;
    items.forEach((item, i) => {
      if (i > 0 && item.scenario && !items[i - 1].scenario) { lx = 4; row += 1; } // scenarios on a row of their own
      const ly = model.get("height") + 4 + row * 16;
      node(svg, "line", { x1: lx, x2: lx + 22, y1: ly, y2: ly, stroke: item.colour, "stroke-width": 2, "stroke-dasharray": item.dash });
      const text = node(svg, "text", { x: lx + 27, y: ly + 4, "font-size": 11 }, item.label);
      lx += 27 + text.getComputedTextLength() + 16;
    });
    // What a test or a benchmark reads: the frame on screen and how many points it draws.
    svg.dataset.frame = model.get("frame");
    svg.dataset.points = points;
    model.set("drawn", model.get("frame"));
    model.save_changes();
  }

  model.on("change:frame", draw);
  let width = el.clientWidth;
  const observer = new ResizeObserver(() => {
    if (el.clientWidth !== width) {
      width = el.clientWidth;
      draw();
    }
  });
  observer.observe(el);
  draw();
  return () => {
    observer.disconnect();
    model.off("change:frame", draw);
  };
}

export default { render };
