/* dubkit page kit: small helpers every page shares, as window.dk. No network, no dependencies. */
"use strict";
(function () {
  const dk = {};

  /** The page's JSON island (the application/json script element with id page-data). */
  dk.data = function (id) {
    const el = document.getElementById(id || "page-data");
    return el ? JSON.parse(el.textContent) : null;
  };

  /** A 32-bit hash of a string (FNV-1a), the seed of dk.rng. */
  dk.hash = function (text) {
    let h = 0x811c9dc5;
    for (const ch of String(text)) {
      h ^= ch.codePointAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  };

  /** A seeded generator of floats in [0, 1) (mulberry32): the same seed text gives the same sequence. */
  dk.rng = function (seedText) {
    let a = dk.hash(seedText);
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  };

  /** A shuffled copy of items (Fisher-Yates with the generator rand). */
  dk.shuffle = function (items, rand) {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };

  /** CSV text (RFC 4180: comma, CRLF-free "\n" lines, quotes doubled) of rows (objects) over columns. */
  dk.csv = function (columns, rows) {
    const cell = function (v) {
      const s = v === null || v === undefined ? "" : String(v);
      return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    const lines = [columns.map(cell).join(",")];
    for (const r of rows) lines.push(columns.map((c) => cell(r[c])).join(","));
    return lines.join("\n") + "\n";
  };

  /** Offer text as a file download (a Blob link; works from file:// pages). */
  dk.download = function (filename, text, mime) {
    const url = URL.createObjectURL(new Blob([text], { type: mime || "text/plain;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.style.display = "none";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  };

  /** A JSON value kept in localStorage under key (get/set/clear); silently memory-only where storage is off. */
  dk.store = function (key) {
    let memory = null;
    const ls = (function () {
      try { return window.localStorage; } catch (e) { return null; }
    })();
    return {
      get: function () {
        try { const v = ls && ls.getItem(key); return v ? JSON.parse(v) : memory; } catch (e) { return memory; }
      },
      set: function (value) {
        memory = value;
        try { if (ls) ls.setItem(key, JSON.stringify(value)); } catch (e) { /* quota or disabled: memory only */ }
      },
      clear: function () {
        memory = null;
        try { if (ls) ls.removeItem(key); } catch (e) { /* ignore */ }
      },
    };
  };

  /** Keyboard shortcuts: bindings maps a key (KeyboardEvent.key, e.g. "p", "Enter", "ArrowDown") to a
      handler(event). Ignored while typing in a text field and when Ctrl/Alt/Meta is held. */
  dk.keys = function (bindings) {
    document.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.altKey || ev.metaKey || ev.defaultPrevented) return;
      const t = ev.target;
      const typing = t && (t.isContentEditable || t.tagName === "TEXTAREA" ||
        (t.tagName === "INPUT" && !["radio", "checkbox", "button", "submit"].includes(t.type)));
      if (typing) return;
      const fn = bindings[ev.key] || bindings[ev.key.toLowerCase()];
      if (fn && fn(ev) !== false) ev.preventDefault();
    });
  };

  /** Say msg to screen readers (the page's polite live region). */
  dk.announce = function (msg) {
    const live = document.getElementById("dk-live");
    if (live) { live.textContent = ""; setTimeout(function () { live.textContent = msg; }, 30); }
  };

  /** An element: dk.el("button", {class: "primary", onclick: f}, "Text", child...). */
  dk.el = function (tag, attrs) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const child of Array.prototype.slice.call(arguments, 2)) {
      if (child !== null && child !== undefined) el.append(child);
    }
    return el;
  };

  /** A media element (audio or video) for {src, type} with a <source>, native controls and a label. */
  dk.media = function (kind, src, type, label) {
    const m = dk.el(kind, { controls: true, preload: "auto", "aria-label": label || kind });
    if (kind === "video") m.setAttribute("playsinline", "");
    m.append(dk.el("source", { src: src, type: type }));
    return m;
  };

  /** Make a table's header buttons sort its body: <th aria-sort="none"><button>Name</button></th>; cells
      sort by data-sort (a number; empty: no value, sorted last) when present, else by text. */
  dk.sortable = function (table) {
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach(function (th, col) {
      const btn = th.querySelector("button");
      if (!btn) return;
      btn.addEventListener("click", function () {
        const dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        heads.forEach(function (h) { if (h.hasAttribute("aria-sort")) h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        const key = function (row) {
          const c = row.cells[col];
          if (!c) return "";
          if (!c.hasAttribute("data-sort")) return c.textContent.trim();
          return c.dataset.sort === "" ? Infinity : parseFloat(c.dataset.sort); // no value: last
        };
        const rows = Array.from(table.tBodies[0].rows);
        rows.sort(function (a, b) {
          const x = key(a), y = key(b);
          const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
          return dir === "ascending" ? cmp : -cmp;
        });
        rows.forEach(function (r) { table.tBodies[0].append(r); });
        dk.announce("sorted by " + btn.textContent.trim() + ", " + dir);
      });
    });
  };

  window.dk = dk;
})();
