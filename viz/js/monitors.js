// The monitors on the teacher's page (viz/page_monitors.py): a few large live numbers, as NetLogo
// models show beside their plots, each with its change, coloured only beyond noise (better: green,
// worse: red, a cost's change: blue, within noise: grey), and the rule in a note under them. One row
// per scenario on show. After each frame it tells the server it is drawn (`drawn`), which is what
// lets the server send the next one (viz/page_frames.py).

const TONES = { better: "#1b7837", worse: "#b2182b", changed: "#2c5d8a", same: "#555555" };

function element(parent, name, className, text, style) {
  const e = document.createElement(name);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  Object.assign(e.style, style || {});
  parent.appendChild(e);
  return e;
}

function render({ model, el }) {
  const box = element(el, "div", "crmsim-monitors", undefined, { display: "flex", flexDirection: "column", gap: "6px" });

  function draw() {
    box.replaceChildren();
    for (const row of model.get("rows")) {
      if (row.title) element(box, "div", "crmsim-monitor-row-title", row.title, { fontWeight: "bold", fontSize: "13px" });
      const line = element(box, "div", "crmsim-monitor-row", undefined, { display: "flex", gap: "8px", flexWrap: "wrap" });
      for (const card of row.cards) {
        const c = element(line, "div", "crmsim-monitor", undefined, {
          flex: "1 1 150px", border: "1px solid #ddd", borderRadius: "6px", padding: "6px 10px", background: "#fafafa" });
        c.dataset.metric = card.metric;
        c.dataset.tone = card.tone;
        element(c, "div", "crmsim-monitor-label", card.label, { fontSize: "12px", color: "#444" });
        element(c, "div", "crmsim-monitor-value", card.value, { fontSize: "30px", fontWeight: "bold", lineHeight: "36px" });
        const change = card.verdict ? `${card.change} · ${card.verdict}` : card.change;
        element(c, "div", "crmsim-monitor-change", change, {
          fontSize: "12px", color: TONES[card.tone] || TONES.same, fontWeight: card.tone === "same" ? "normal" : "bold" });
      }
    }
    element(box, "div", "crmsim-monitor-note", model.get("note"), { fontSize: "11px", color: "#666" });
    // What a test reads: the frame on screen and its week.
    box.dataset.frame = model.get("frame");
    box.dataset.week = model.get("week");
    model.set("drawn", model.get("frame"));
    model.save_changes();
  }

  model.on("change:frame", draw);
  draw();
  return () => model.off("change:frame", draw);
}

export default { render };
