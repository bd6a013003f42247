// The story's banner on the teacher's page (viz/page_story.py): the stage on show, its week and its
// caption, or the end of the story. After each frame it tells the server it is drawn (`drawn`),
// which is what lets the server send the next one (viz/page_frames.py).

function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "crmsim-story";
  Object.assign(box.style, { borderLeft: "6px solid #0072B2", background: "#eef5fb", padding: "8px 12px",
                             borderRadius: "4px" });
  const heading = document.createElement("div");
  heading.className = "crmsim-story-stage";
  Object.assign(heading.style, { fontWeight: "bold", fontSize: "16px" });
  const caption = document.createElement("div");
  caption.className = "crmsim-story-caption";
  Object.assign(caption.style, { fontSize: "15px", marginTop: "4px" });
  box.append(heading, caption);
  el.appendChild(box);

  function draw() {
    heading.textContent = model.get("heading");
    caption.textContent = model.get("caption");
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
