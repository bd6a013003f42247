// A line chart on the teacher's page (viz/page_charts.py), drawn as SVG: a title, a subtitle
// (unit and which way is better, wrapped to the chart's width), axes, one line per series (a gap
// where a value is null), and a legend that wraps too, so no text leaves the chart or covers
// another. Numbers are written the page's way (`locale`: 0.25 or 0,25). After each frame it tells
// the server it is drawn (`drawn`), which is what lets the server send the next one
// (viz/page_frames.py).

const SVG = "http://www.w3.org/2000/svg";
const MARGIN = { left: 44, right: 12, top: 44, bottom: 34 };
const LINE = 14; // px between lines of the subtitle, and between rows of the legend (plus 2)

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

// The words of `text` in lines no wider than `width`, as an SVG text of `size` px measures them.
function wrap(svg, text, size, width) {
  const probe = node(svg, "text", { "font-size": size, visibility: "hidden" });
  const lines = [];
  let line = "";
  for (const word of text.split(" ")) {
    const tried = line ? `${line} ${word}` : word;
    probe.textContent = tried;
    if (line && probe.getComputedTextLength() > width) { lines.push(line); line = word; } else line = tried;
  }
  if (line) lines.push(line);
  probe.remove();
  return lines;
}

function render({ model, el }) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "crmsim-chart");
  svg.style.display = "block";
  svg.style.width = "100%";
  el.appendChild(svg);

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

  // Where each legend item goes: in rows no wider than `width`, the scenarios on a row of their own.
  function placeLegend(items, width) {
    const probe = node(svg, "text", { "font-size": 11, visibility: "hidden" });
    let lx = 4, row = 0;
    const placed = items.map((item, i) => {
      probe.textContent = item.label;
      const size = 27 + probe.getComputedTextLength() + 16;
      const newKind = i > 0 && item.scenario && !items[i - 1].scenario;
      if (i > 0 && (newKind || lx + size - 16 > width - 4)) { lx = 4; row += 1; }
      const at = { ...item, x: lx, row };
      lx += size;
      return at;
    });
    probe.remove();
    return { placed, rows: items.length ? row + 1 : 0 };
  }

  function draw() {
    const format = new Intl.NumberFormat(model.get("locale") || undefined, { maximumFractionDigits: 2 });
    const width = Math.max(el.clientWidth, 240);
    const series = model.get("series");
    svg.replaceChildren();
    const subtitle = wrap(svg, model.get("subtitle"), 11, width - 8);
    const top = MARGIN.top + LINE * (subtitle.length - 1);
    const { placed, rows } = placeLegend(legend(series), width);
    const height = model.get("height") + LINE * (subtitle.length - 1) + (LINE + 2) * rows;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.style.height = height + "px";
    const plot = { left: MARGIN.left, top, width: width - MARGIN.left - MARGIN.right,
                   height: model.get("height") - MARGIN.top - MARGIN.bottom };
    node(svg, "text", { x: 4, y: 15, "font-size": 14, "font-weight": "bold" }, model.get("title"));
    subtitle.forEach((line, k) => node(svg, "text", { x: 4, y: 31 + LINE * k, "font-size": 11, fill: "#555" }, line));

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
    const legendTop = plot.top + plot.height + MARGIN.bottom + 4;
    for (const item of placed) {
      const ly = legendTop + item.row * (LINE + 2);
      node(svg, "line", { x1: item.x, x2: item.x + 22, y1: ly, y2: ly, stroke: item.colour, "stroke-width": 2, "stroke-dasharray": item.dash });
      node(svg, "text", { x: item.x + 27, y: ly + 4, "font-size": 11 }, item.label);
    }
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
