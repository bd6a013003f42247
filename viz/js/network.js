// The network on the teacher's page (viz/page_network.py): citizens as dots at fixed positions,
// prescribers by kind, administrations as squares above, the week counter in a band of its own
// below (no marker reaches it). The ties are drawn once onto an offscreen canvas; each frame only
// recolours the dots, then tells the server it is drawn (`drawn`), which is what lets the server
// send the next frame (viz/page_frames.py).

const bytes = (view) => (view && view.byteLength ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(0));
const floats = (view) => new Float32Array(bytes(view).slice().buffer);
const ints = (view) => new Uint32Array(bytes(view).slice().buffer);
const TOP = 30; // the administrations' row
const BOTTOM = 26; // the week counter's band
const PAD = 4;
const NEUTRAL = 255;

function render({ model, el }) {
  const canvas = document.createElement("canvas");
  canvas.className = "crmsim-network";
  canvas.style.width = "100%";
  canvas.style.display = "block";
  el.appendChild(canvas);
  const context = canvas.getContext("2d");
  let ties = null; // offscreen canvas with the ties, for this size and network
  let points = null; // node positions in pixels

  function resize() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(el.clientWidth, 200);
    const height = model.get("height");
    canvas.style.height = height + "px";
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { width, height, ratio };
  }

  // A dot's radius, and how far a marker reaches from its node: a funded prescriber's ring, and its stroke.
  const dotRadius = () => Math.max(1.4, Math.min(4, 90 / Math.sqrt(Math.max(model.get("n_citizens"), 1))));
  const reach = () => dotRadius() * 2.4 * 1.6 + 1;

  // Nodes in a square between the administrations' row and the week's band, inset so every marker stays inside.
  function place(width, height) {
    const xy = floats(model.get("positions"));
    const inset = PAD + reach();
    const side = Math.max(Math.min(width - 2 * inset, height - TOP - BOTTOM - 2 * inset), 10);
    const left = (width - side) / 2;
    const top = TOP + inset + (height - TOP - BOTTOM - 2 * inset - side) / 2;
    points = new Float32Array(xy.length);
    for (let i = 0; i < xy.length; i += 2) {
      points[i] = left + xy[i] * side;
      points[i + 1] = top + xy[i + 1] * side;
    }
  }

  // What a test reads to check that nothing covers anything: boxes [x0, y0, x1, y1] in canvas pixels.
  function boxes(width, height, label) {
    const r = reach();
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < points.length; i += 2) {
      x0 = Math.min(x0, points[i] - r); x1 = Math.max(x1, points[i] + r);
      y0 = Math.min(y0, points[i + 1] - r); y1 = Math.max(y1, points[i + 1] + r);
    }
    return { nodes: [x0, y0, x1, y1], administrations: [0, 8, width, 20],
             label: [4, height - BOTTOM / 2 - 8, 4 + label, height - BOTTOM / 2 + 8] };
  }

  function drawTies(size) {
    ties = document.createElement("canvas");
    ties.width = canvas.width;
    ties.height = canvas.height;
    const c = ties.getContext("2d");
    c.setTransform(size.ratio, 0, 0, size.ratio, 0, 0);
    const uv = ints(model.get("edges"));
    const first = model.get("n_citizens");
    c.lineWidth = 0.6;
    // Citizens' ties, then the prescribers' (fainter: they cross the whole network).
    for (const [prescribers, colour] of [[false, "rgba(120, 120, 120, 0.22)"], [true, "rgba(120, 120, 120, 0.06)"]]) {
      c.strokeStyle = colour;
      c.beginPath();
      for (let e = 0; e < uv.length; e += 2) {
        if ((uv[e] >= first || uv[e + 1] >= first) !== prescribers) continue;
        const a = 2 * uv[e], b = 2 * uv[e + 1];
        if (b + 1 >= points.length || a + 1 >= points.length) continue;
        c.moveTo(points[a], points[a + 1]);
        c.lineTo(points[b], points[b + 1]);
      }
      c.stroke();
    }
  }

  function drawCitizens(radius) {
    const palette = model.get("palette");
    const colours = bytes(model.get("colours"));
    const n = Math.min(model.get("n_citizens"), colours.length, points.length / 2);
    const groups = new Map(); // one path per colour: a few fills, not one per dot
    for (let i = 0; i < n; i++) {
      let group = groups.get(colours[i]);
      if (!group) groups.set(colours[i], (group = []));
      group.push(i);
    }
    for (const [colour, members] of groups) {
      context.fillStyle = palette[colour] || "#bbbbbb";
      context.beginPath();
      for (const i of members) {
        context.moveTo(points[2 * i] + radius, points[2 * i + 1]);
        context.arc(points[2 * i], points[2 * i + 1], radius, 0, 2 * Math.PI);
      }
      context.fill();
    }
  }

  function drawPrescribers(radius) {
    const kinds = bytes(model.get("kinds"));
    const first = model.get("n_citizens");
    const r = radius * 2.4;
    context.lineWidth = 1.2;
    for (let j = 0; j < kinds.length; j++) {
      const i = first + j;
      if (2 * i + 1 >= points.length) break;
      const x = points[2 * i], y = points[2 * i + 1];
      context.beginPath();
      if (kinds[j] === 1) { // informal: a triangle
        context.moveTo(x, y - r);
        context.lineTo(x + r, y + r * 0.8);
        context.lineTo(x - r, y + r * 0.8);
      } else { // institutional: a diamond
        context.moveTo(x, y - r);
        context.lineTo(x + r, y);
        context.lineTo(x, y + r);
        context.lineTo(x - r, y);
      }
      context.closePath();
      context.fillStyle = "#222222";
      context.strokeStyle = "#ffffff";
      context.fill();
      context.stroke();
      if (kinds[j] === 3) { // funded: ringed
        context.beginPath();
        context.arc(x, y, r * 1.6, 0, 2 * Math.PI);
        context.strokeStyle = "#222222";
        context.stroke();
      }
    }
  }

  function drawAdministrations(width) {
    const labels = model.get("admin_labels");
    const colours = bytes(model.get("admin_colours"));
    const palette = model.get("palette");
    const slot = width / Math.max(labels.length, 1);
    context.font = "11px sans-serif";
    context.textBaseline = "middle";
    labels.forEach((label, j) => {
      const x = j * slot + 4;
      const colour = colours[j];
      context.fillStyle = colour === undefined || colour === NEUTRAL ? "#9e9e9e" : palette[colour] || "#9e9e9e";
      context.strokeStyle = "#222222";
      context.fillRect(x, 8, 12, 12);
      context.strokeRect(x, 8, 12, 12);
      context.fillStyle = "#222222";
      context.fillText(label, x + 16, 14, slot - 22);
    });
  }

  let size = null;
  function draw(fresh) {
    if (fresh || !ties) {
      size = resize();
      place(size.width, size.height);
      drawTies(size);
    }
    context.setTransform(size.ratio, 0, 0, size.ratio, 0, 0);
    context.clearRect(0, 0, size.width, size.height);
    context.drawImage(ties, 0, 0, size.width, size.height);
    const radius = dotRadius();
    drawCitizens(radius);
    drawPrescribers(radius);
    drawAdministrations(size.width);
    context.fillStyle = "#222222";
    context.font = "bold 15px sans-serif";
    context.textBaseline = "middle";
    context.fillText(model.get("week_label"), 4, size.height - BOTTOM / 2); // the page's week counter, in its band
    canvas.dataset.boxes = JSON.stringify(boxes(size.width, size.height,
                                                context.measureText(model.get("week_label")).width));
    // What a test or a benchmark reads: the frame on screen, its week, a checksum of its colours.
    const colours = bytes(model.get("colours"));
    let sum = 0;
    for (let i = 0; i < colours.length; i++) sum = (sum * 31 + colours[i]) % 2147483647;
    canvas.dataset.frame = model.get("frame");
    canvas.dataset.week = model.get("week");
    canvas.dataset.colours = sum;
    canvas.dataset.citizens = model.get("n_citizens");
    model.set("drawn", model.get("frame"));
    model.save_changes();
  }

  const onFrame = () => draw(false);
  const onNetwork = () => draw(true);
  model.on("change:frame", onFrame);
  model.on("change:positions change:edges change:kinds change:height", onNetwork);
  let width = el.clientWidth;
  const observer = new ResizeObserver(() => {
    if (el.clientWidth !== width) {
      width = el.clientWidth;
      draw(true);
    }
  });
  observer.observe(el);
  draw(true);
  return () => {
    observer.disconnect();
    model.off("change:frame", onFrame);
    model.off("change:positions change:edges change:kinds change:height", onNetwork);
  };
}

export default { render };
