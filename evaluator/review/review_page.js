/* The review page: timeline (SVG), filters, keyboard navigation, players, the linked video, verdicts. */
(function () {
  "use strict";
  const data = dk.data();
  const byId = function (id) { return document.getElementById(id); };
  const SVG = "http://www.w3.org/2000/svg";
  const rows = Array.from(document.querySelectorAll("article.line"));
  const rowOf = {};
  const lineOf = {};
  rows.forEach(function (r) { rowOf[r.dataset.index] = r; });
  data.lines.forEach(function (ln) { lineOf[ln.index] = ln; });
  const store = dk.store(data.storage_key);
  let state = { version: 1, lines: {}, stale: {} };
  let current = null;

  // ---- verdicts: kept in localStorage per project, keyed by cue, tied to the render heard ----
  function loadState() {
    const saved = store.get();
    if (saved && saved.version === 1 && saved.lines) state = { version: 1, lines: saved.lines, stale: saved.stale || {} };
    const moved = [];
    for (const [index, v] of Object.entries(state.lines)) {
      const ln = lineOf[index];
      if (!ln || v.render !== ln.render) { state.stale[index] = v; delete state.lines[index]; moved.push(index); }
    }
    if (moved.length) {
      store.set(state);
      const box = byId("stale");
      box.hidden = false;
      box.textContent = "Your earlier verdicts on cue(s) " + moved.join(", ") + " were on another render of those " +
        "lines (re-rendered since) and were set aside; listen again and decide anew.";
    }
    for (const [index, v] of Object.entries(state.lines)) showVerdict(index, v);
    countVerdicts();
  }

  function showVerdict(index, v) {
    const row = rowOf[index];
    if (!row) return;
    const verdict = (v && v.verdict) || "";
    row.querySelectorAll('input[type="radio"]').forEach(function (r) { r.checked = r.value === verdict; });
    row.querySelector("textarea.note").value = (v && v.note) || "";
    const badge = row.querySelector(".verdict-badge");
    badge.hidden = !verdict;
    badge.className = "badge verdict-badge " + verdict;
    badge.textContent = verdict === "rerender" ? "re-render" : verdict;
    const printed = row.querySelector(".verdict-print");
    printed.textContent = verdict || (v && v.note) ? "Verdict: " + (verdict || "none") + (v && v.note ? ". Note: " + v.note : "") : "";
  }

  function setVerdict(index, patch) {
    const old = state.lines[index] || { verdict: null, note: "" };
    const v = Object.assign({}, old, patch, { render: lineOf[index].render, at: new Date().toISOString() });
    if (!v.verdict && !(v.note || "").trim()) delete state.lines[index];
    else state.lines[index] = v;
    store.set(state);
    showVerdict(index, state.lines[index]);
    countVerdicts();
    applyFilter();
  }

  function countVerdicts() {
    const vs = Object.values(state.lines);
    const n = function (what) { return vs.filter(function (v) { return v.verdict === what; }).length; };
    const notes = vs.filter(function (v) { return (v.note || "").trim(); }).length;
    byId("verdict-count").textContent = n("approve") + " approved, " + n("rerender") + " to re-render, " + notes + " note(s)";
  }

  function verdictFile() {
    const lines = Object.entries(state.lines)
      .map(function ([index, v]) {
        const ln = lineOf[index];
        return { index: ln.index, start: ln.start, end: ln.end, text: ln.text, verdict: v.verdict || null,
                 note: (v.note || "").trim(), render: ln.render };
      })
      .sort(function (a, b) { return a.start - b.start || a.index - b.index; });
    return {
      kind: data.verdicts.kind,
      schema_version: data.verdicts.schema_version,
      project: data.project,
      inputs: data.inputs,
      exported: new Date().toISOString(),
      lines: lines,
    };
  }

  function exportVerdicts() {
    const text = JSON.stringify(verdictFile(), null, 2) + "\n";
    byId("verdicts-text").value = text;
    dk.download(data.project.name + ".verdicts.json", text, "application/json");
    dk.announce("Verdicts downloaded");
  }

  // ---- filters ----
  function matches(row, filter) {
    const flags = row.dataset.flags.trim();
    const v = state.lines[row.dataset.index];
    if (filter === "all") return true;
    if (filter === "flagged") return flags !== "";
    if (filter.startsWith("flag:")) return flags.split(" ").includes(filter.slice(5));
    if (filter === "verdict:none") return !v || !v.verdict;
    if (filter.startsWith("verdict:")) return !!v && v.verdict === filter.slice(8);
    return true;
  }

  function applyFilter() {
    const filter = byId("filter").value;
    let shown = 0;
    for (const row of rows) {
      const on = matches(row, filter);
      row.hidden = !on;
      if (on) shown++;
      const mark = document.querySelector('#timeline a[data-index="' + row.dataset.index + '"]');
      if (mark) mark.classList.toggle("dim", !on);
    }
    byId("shown").textContent = shown + " of " + rows.length + " lines shown";
  }

  // ---- current line, navigation, playing ----
  function select(row, scroll) {
    if (!row) return;
    if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
    current = row;
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    document.querySelectorAll("#timeline a.current").forEach(function (a) { a.classList.remove("current"); });
    const mark = document.querySelector('#timeline a[data-index="' + row.dataset.index + '"]');
    if (mark) {
      mark.classList.add("current");
      const box = byId("timeline");  // bring the mark into the timeline's view when zoomed in
      const at = mark.getBBox().x;
      if (at < box.scrollLeft || at > box.scrollLeft + box.clientWidth - 40) box.scrollLeft = Math.max(0, at - box.clientWidth / 3);
    }
    if (scroll) {
      if (row.hidden) { byId("filter").value = "all"; applyFilter(); }
      row.scrollIntoView({ block: "start" });
      row.focus({ preventScroll: true });
      dk.announce(row.querySelector("h3").textContent);
    }
  }

  function step(list, dir) {
    if (!list.length) { dk.announce("no such line"); return; }
    const at = current ? rows.indexOf(current) : -1;
    let next = null;
    if (dir > 0) next = list.find(function (r) { return rows.indexOf(r) > at; }) || list[0];
    else next = list.slice().reverse().find(function (r) { return rows.indexOf(r) < at; }) || list[list.length - 1];
    select(next, true);
  }

  function play(kind) {
    if (!current) select(rows.find(function (r) { return !r.hidden; }), true);
    if (!current) return;
    const el = current.querySelector("audio." + kind);
    if (!el) { dk.announce("no " + kind + " audio for this line"); return; }
    document.querySelectorAll("audio, video").forEach(function (m) { if (m !== el) m.pause(); });
    el.currentTime = 0;
    el.play();
  }

  // ---- the linked episode video, at the line's time ----
  function showVideo(row) {
    const slot = row.querySelector(".video-slot");
    if (slot.firstChild) { slot.replaceChildren(); return; }
    const ln = lineOf[row.dataset.index];
    const v = data.video;
    const end = Math.max(ln.end, ln.placed_end || ln.end);
    const can = v.type ? document.createElement("video").canPlayType(v.type) : "";
    if (!can) {
      slot.append(dk.el("p", { class: "warn", text: "This browser cannot play " + v.path + (v.type ? " (" + v.type + ")" : "") +
        "; open it in a video player at " + ln.start.toFixed(2) + " s." }));
      return;
    }
    const video = dk.el("video", { controls: true, preload: "metadata", playsinline: true,
      "aria-label": "video of cue " + ln.index + ", " + ln.start.toFixed(2) + " to " + end.toFixed(2) + " s" });
    video.append(dk.el("source", { src: v.src + "#t=" + ln.start.toFixed(3) + "," + end.toFixed(3), type: v.type }));
    video.addEventListener("error", function () {
      slot.append(dk.el("p", { class: "warn", text: "The video did not load from " + v.src + ": keep this page where that path finds " + v.path + "." }));
    }, true);
    slot.append(video);
  }

  // ---- timeline ----
  function svg(tag, attrs) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    for (const child of Array.prototype.slice.call(arguments, 2)) el.append(child);
    return el;
  }

  function tickStep(pps) {
    for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200]) if (s * pps >= 70) return s;
    return 1800;
  }

  function clock(t) {
    const m = Math.floor(t / 60), s = Math.round(t - 60 * m);
    return m + ":" + String(s).padStart(2, "0");
  }

  function drawTimeline() {
    const box = byId("timeline");
    const zoom = byId("zoom").value;
    const left = 64, right = 12, top = 22, laneH = 40;
    const avail = Math.max(300, (box.clientWidth || 900) - 2);
    const pps = zoom === "fit" ? Math.max(0.05, (avail - left - right) / data.duration) : Number(zoom);
    const width = Math.ceil(left + data.duration * pps + right);
    const height = top + data.speakers.length * laneH + 4;
    const x = function (t) { return left + t * pps; };
    const root = svg("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "group",
      "aria-label": "Timeline of " + data.lines.length + " lines over " + clock(data.duration) });
    root.append(svg("line", { class: "tl-axis", x1: left, x2: width - right, y1: top - 4, y2: top - 4 }));
    const every = tickStep(pps);
    for (let t = 0; t <= data.duration + 1e-6; t += every) {
      root.append(svg("line", { class: "tl-axis", x1: x(t), x2: x(t), y1: top - 8, y2: height }));
      const label = svg("text", { class: "tl-tick", x: x(t) + 2, y: top - 10 });
      label.textContent = clock(t);
      root.append(label);
    }
    data.speakers.forEach(function (sp, i) {
      const label = svg("text", { class: "tl-lane", x: 4, y: top + i * laneH + 24 });
      label.textContent = sp.length > 9 ? sp.slice(0, 8) + "…" : sp;
      root.append(label);
    });
    for (const ln of data.lines) {
      const lane = data.speakers.indexOf(ln.speaker);
      const y = top + lane * laneH + 3;
      const flags = ln.flags;
      const words = ["cue " + ln.index, ln.speaker, "slot " + ln.start.toFixed(2) + "-" + ln.end.toFixed(2) + " s"];
      if (ln.placed_start !== null) words.push("placed " + ln.placed_start.toFixed(2) + "-" + ln.placed_end.toFixed(2) + " s");
      if (flags.length) words.push("flagged: " + flags.map(function (k) { return data.flag_kinds[k]; }).join(", "));
      const a = svg("a", { href: "#line-" + ln.index, "data-index": ln.index, tabindex: "-1", "aria-label": words.join(", ") });
      const title = svg("title");
      title.textContent = words.join("\n");
      a.append(title);
      a.append(svg("rect", { class: "tl-slot", x: x(ln.start), y: y, width: Math.max(1, (ln.end - ln.start) * pps), height: 14 }));
      if (ln.placed_start !== null) {
        const w = Math.max(1, (ln.placed_end - ln.placed_start) * pps);
        a.append(svg("rect", { class: "tl-dub", x: x(ln.placed_start), y: y + 17, width: w, height: 14 }));
        if (ln.overrun_ms > 0) {
          const over = Math.min(ln.overrun_ms / 1000, ln.placed_end - ln.placed_start);
          a.append(svg("rect", { class: "tl-over", x: x(ln.placed_end - over), y: y + 17, width: Math.max(1, over * pps), height: 14 }));
        }
        if (flags.includes("cap")) a.append(svg("rect", { class: "tl-cap", x: x(ln.placed_start), y: y + 17, width: w, height: 14 }));
        if (flags.includes("score") || flags.includes("failed")) {
          a.append(svg("rect", { class: "tl-flag", x: x(ln.start) - 2, y: y - 2, width: Math.max(1, (ln.end - ln.start) * pps) + 4, height: 35 }));
        }
        if (w >= 18) {
          const num = svg("text", { class: "tl-num", x: x(ln.placed_start) + 3, y: y + 28 });
          num.textContent = String(ln.index);
          a.append(num);
        }
      }
      a.addEventListener("click", function (ev) { ev.preventDefault(); select(rowOf[ln.index], true); });
      root.append(a);
    }
    box.replaceChildren(root);
    applyFilter();
    if (current) select(current, false);
  }

  // ---- wiring ----
  rows.forEach(function (row) {
    const index = row.dataset.index;
    row.addEventListener("focusin", function () { select(row, false); });
    row.addEventListener("click", function () { select(row, false); });
    row.querySelectorAll('input[type="radio"]').forEach(function (r) {
      r.addEventListener("change", function () { setVerdict(index, { verdict: r.value || null }); });
    });
    const note = row.querySelector("textarea.note");
    note.addEventListener("input", function () { setVerdict(index, { note: note.value }); });
    note.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { note.blur(); row.focus(); } });
    row.querySelector(".show-video").addEventListener("click", function () { showVideo(row); });
    row.querySelectorAll("audio").forEach(function (m) {
      m.addEventListener("play", function () {
        select(row, false);
        document.querySelectorAll("audio, video").forEach(function (o) { if (o !== m) o.pause(); });
      });
    });
  });
  byId("filter").addEventListener("change", function () { applyFilter(); dk.announce(byId("shown").textContent); });
  byId("zoom").addEventListener("change", drawTimeline);
  byId("export").addEventListener("click", exportVerdicts);
  window.addEventListener("beforeprint", function () { byId("zoom").value = "fit"; drawTimeline(); });

  const visible = function () { return rows.filter(function (r) { return !r.hidden; }); };
  const flagged = function () { return rows.filter(function (r) { return r.dataset.flags.trim() !== ""; }); };
  const pick = function (verdict) {
    return function () { if (!current) return false; setVerdict(current.dataset.index, { verdict: verdict }); dk.announce(verdict); };
  };
  dk.keys({
    j: function () { step(flagged(), 1); },
    k: function () { step(flagged(), -1); },
    n: function () { step(visible(), 1); },
    b: function () { step(visible(), -1); },
    o: function () { play("original"); },
    d: function () { play("dub"); },
    v: function () { if (!current) return false; showVideo(current); },
    a: pick("approve"),
    r: pick("rerender"),
    e: function () { if (!current) return false; current.querySelector("textarea.note").focus(); },
  });

  loadState();
  drawTimeline();
  applyFilter();

  window.dubkitReview = {
    /** The verdict file the page would download now. */
    verdicts: verdictFile,
    /** The cue numbers of the lines shown under the current filter, in page order. */
    shown: function () { return visible().map(function (r) { return Number(r.dataset.index); }); },
  };
})();
