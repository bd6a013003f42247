// The story's banner on the teacher's page (viz/page_story.py): the stage on show, its week and its
// caption, or the end of the story with its summary across stages (each stage's yearly rates at its
// end, and their change over the stage, coloured like the monitors). After each frame it tells the
// server it is drawn (`drawn`), which is what lets the server send the next one (viz/page_frames.py).

const TONES = { better: "#1b7837", worse: "#b2182b", changed: "#2c5d8a", same: "#555555" };

function element(parent, name, className, text, style) {
  const e = document.createElement(name);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  Object.assign(e.style, style || {});
  parent.appendChild(e);
  return e;
}

function summaryTable(parent, summary) {
  const box = element(parent, "div", "crmsim-story-summary", undefined, { marginTop: "8px" });
  element(box, "div", "crmsim-story-summary-title", summary.title, { fontWeight: "bold", fontSize: "13px" });
  const table = element(box, "table", undefined, undefined, { borderCollapse: "collapse", fontSize: "13px", width: "100%" });
  const head = element(table, "tr");
  element(head, "th", undefined, "", { textAlign: "left" });
  for (const column of summary.columns) {
    element(head, "th", undefined, column, { textAlign: "right", fontWeight: "normal", color: "#444", padding: "2px 6px" });
  }
  for (const row of summary.rows) {
    const line = element(table, "tr", "crmsim-story-summary-row", undefined, { borderTop: "1px solid #cfdde9" });
    element(line, "td", undefined, row.title, { padding: "2px 6px 2px 0" });
    for (const cell of row.cells) {
      const td = element(line, "td", undefined, undefined, { textAlign: "right", padding: "2px 6px", whiteSpace: "nowrap" });
      td.dataset.tone = cell.tone;
      element(td, "span", undefined, cell.value, { fontWeight: "bold" });
      if (cell.change) element(td, "span", undefined, " " + cell.change, { fontSize: "11px", color: TONES[cell.tone] || TONES.same });
    }
  }
}

function render({ model, el }) {
  const box = element(el, "div", "crmsim-story", undefined, {
    borderLeft: "6px solid #0072B2", background: "#eef5fb", padding: "8px 12px", borderRadius: "4px" });
  const heading = element(box, "div", "crmsim-story-stage", "", { fontWeight: "bold", fontSize: "16px" });
  const caption = element(box, "div", "crmsim-story-caption", "", { fontSize: "15px", marginTop: "4px" });
  const end = element(box, "div");

  function draw() {
    heading.textContent = model.get("heading");
    caption.textContent = model.get("caption");
    end.replaceChildren();
    const summary = model.get("summary");
    if (summary && summary.rows) summaryTable(end, summary);
    // What a test reads: the frame on screen, the stage (1, 2, ...), its week, and whether the story is over.
    box.dataset.frame = model.get("frame");
    box.dataset.stage = model.get("stage");
    box.dataset.week = model.get("week");
    box.dataset.over = model.get("over") ? 1 : 0;
    model.set("drawn", model.get("frame"));
    model.save_changes();
  }

  model.on("change:frame", draw);
  draw();
  return () => model.off("change:frame", draw);
}

export default { render };
