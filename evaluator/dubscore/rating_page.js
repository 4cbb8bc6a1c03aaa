/* The listening test page: a seeded order per rater, six aspects on 1-5, repeats, CSV export. */
(function () {
  "use strict";
  const data = dk.data();
  const aspects = data.aspects.map(function (a) { return a.key; });
  const byId = function (id) { return document.getElementById(id); };
  const idPattern = /^[A-Za-z0-9._@-]{1,64}$/;
  let state = null; // {rater, trials, answers, pos, store}
  let media = null;
  let heard = false;
  let draft = {};
  let current = 0;

  /** The trials of rater: every clip once in a seeded order, then data.repeats clips of the first half
      again, each placed in the second half at least two trials after its first showing. */
  function plan(rater) {
    const n = data.clips.length;
    const rand = dk.rng(data.page_id + ":" + rater);
    const order = dk.shuffle(Array.from({ length: n }, function (_, i) { return i; }), rand);
    const trials = order.map(function (c) { return { clip: c, repeat: 0 }; });
    const half = Math.ceil(n / 2);
    const again = dk.shuffle(order.slice(0, half), rand).slice(0, Math.min(data.repeats, Math.floor(n / 2)));
    for (const c of again) {
      const lo = half + 1;
      const at = lo + Math.floor(rand() * (trials.length - lo + 1));
      trials.splice(at, 0, { clip: c, repeat: 1 });
    }
    return trials;
  }

  function save() {
    state.store.set({ answers: state.answers, pos: state.pos });
  }

  function answered() {
    return state.answers.filter(function (a) { return a !== null; }).length;
  }

  function setCurrent(i) {
    current = Math.max(0, Math.min(aspects.length - 1, i));
    document.querySelectorAll(".aspect").forEach(function (fs, j) { fs.classList.toggle("current", j === current); });
  }

  function missing() {
    return aspects.filter(function (k) { return !draft[k]; });
  }

  function update() {
    const left = missing();
    byId("next-button").disabled = !heard || left.length > 0;
    const parts = [];
    if (!heard) parts.push("play the clip to the end");
    if (left.length) parts.push("rate " + left.map(function (k) { return data.aspects[aspects.indexOf(k)].name; }).join(", "));
    byId("missing").textContent = parts.length ? "Still to do: " + parts.join("; ") + "." : "Ready for the next clip.";
    byId("heard").textContent = heard ? "Played to the end." : "Not played to the end yet.";
  }

  function markHeard() {
    if (heard) return;
    heard = true;
    update();
    if (!byId("next-button").disabled && document.activeElement === byId("play-button")) byId("next-button").focus();
  }

  function showTrial(pos) {
    state.pos = pos;
    save();
    const t = state.trials[pos];
    const clip = data.clips[t.clip];
    byId("trial-pos").textContent = String(pos + 1);
    byId("trial-progress").value = answered();
    if (media) { media.pause(); }
    media = dk.media(clip.kind, clip.src, clip.type, "clip " + (pos + 1) + " of " + state.trials.length);
    media.addEventListener("ended", markHeard);
    media.addEventListener("timeupdate", function () {
      if (media.duration && media.currentTime >= media.duration - 0.05) markHeard();
    });
    byId("media-slot").replaceChildren(media);
    const prev = state.answers[pos];
    heard = prev !== null;
    draft = prev ? Object.assign({}, prev) : {};
    for (const k of aspects) {
      document.querySelectorAll('input[name="' + k + '"]').forEach(function (r) { r.checked = String(draft[k]) === r.value; });
    }
    const first = aspects.findIndex(function (k) { return !draft[k]; });
    setCurrent(first < 0 ? 0 : first);
    update();
    byId("back-button").disabled = pos === 0;
    byId("play-button").focus();
    dk.announce("Clip " + (pos + 1) + " of " + state.trials.length);
  }

  function show(section) {
    for (const id of ["start", "trial", "done"]) byId(id).hidden = id !== section;
  }

  function csvText() {
    const rows = state.trials.map(function (t, i) {
      const row = Object.assign({ clip: data.clips[t.clip].id, rater: state.rater, repeat: t.repeat }, state.answers[i]);
      return row;
    });
    return dk.csv(data.columns, rows);
  }

  function finish() {
    if (media) { media.pause(); media = null; }
    byId("media-slot").replaceChildren();
    byId("csv-text").value = csvText();
    show("done");
    byId("download-button").focus();
    dk.announce("All clips rated. Download your ratings.");
  }

  function next() {
    if (byId("next-button").disabled) { update(); dk.announce(byId("missing").textContent); return; }
    state.answers[state.pos] = Object.assign({}, draft);
    save();
    if (state.pos + 1 < state.trials.length) showTrial(state.pos + 1);
    else finish();
  }

  function rate(key, value) {
    draft[key] = value;
    const input = document.querySelector('input[name="' + key + '"][value="' + value + '"]');
    if (input) input.checked = true;
    update();
  }

  function start(rater) {
    const trials = plan(rater);
    const store = dk.store("dubkit-rating:" + data.page_id + ":" + rater);
    const saved = store.get();
    const answers = saved && Array.isArray(saved.answers) && saved.answers.length === trials.length
      ? saved.answers : trials.map(function () { return null; });
    state = { rater: rater, trials: trials, answers: answers, pos: 0, store: store };
    const open = answers.findIndex(function (a) { return a === null; });
    show("trial");
    if (open < 0) finish();
    else showTrial(open);
  }

  byId("start-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    const rater = byId("rater-id").value.trim();
    if (!idPattern.test(rater)) {
      byId("start-error").textContent = "Enter a rater id: letters, digits and . _ @ - only (at most 64).";
      byId("rater-id").focus();
      return;
    }
    byId("start-error").textContent = "";
    start(rater);
  });
  byId("rating-form").addEventListener("submit", function (ev) { ev.preventDefault(); next(); });
  byId("rating-form").addEventListener("change", function (ev) {
    const r = ev.target;
    if (r.type === "radio") { rate(r.name, Number(r.value)); setCurrent(aspects.indexOf(r.name)); }
  });
  document.querySelectorAll(".aspect").forEach(function (fs, j) {
    fs.addEventListener("focusin", function () { setCurrent(j); });
  });
  byId("play-button").addEventListener("click", function () {
    if (!media) return;
    media.currentTime = 0;
    media.play();
  });
  byId("back-button").addEventListener("click", function () { if (state.pos > 0) showTrial(state.pos - 1); });
  byId("download-button").addEventListener("click", function () {
    dk.download("ratings_" + state.rater + ".csv", csvText(), "text/csv;charset=utf-8");
  });
  byId("review-button").addEventListener("click", function () { show("trial"); showTrial(state.trials.length - 1); });

  const inTrial = function () { return state !== null && !byId("trial").hidden; };
  const bindings = {
    p: function () { if (!inTrial()) return false; byId("play-button").click(); },
    b: function () { if (!inTrial()) return false; byId("back-button").click(); },
    Enter: function (ev) {
      if (!inTrial() || ev.target.tagName === "BUTTON") return false;
      next();
    },
    ArrowDown: function (ev) { if (!inTrial() || ev.target.type === "radio") return false; setCurrent(current + 1); },
    ArrowUp: function (ev) { if (!inTrial() || ev.target.type === "radio") return false; setCurrent(current - 1); },
  };
  for (const v of [1, 2, 3, 4, 5]) {
    bindings[String(v)] = function () {
      if (!inTrial()) return false;
      const key = aspects[current];
      rate(key, v);
      dk.announce(data.aspects[current].name + " " + v);
      const nextOpen = aspects.findIndex(function (k, j) { return j > current && !draft[k]; });
      setCurrent(nextOpen < 0 ? current + 1 : nextOpen);
      if (!byId("next-button").disabled) byId("next-button").focus(); // Enter now moves on
    };
  }
  dk.keys(bindings);

  window.dubkitRating = {
    /** The clip ids and repeat flags rater sees, in order (what the exported CSV lists). */
    plan: function (rater) {
      return plan(rater).map(function (t) { return { clip: data.clips[t.clip].id, repeat: t.repeat }; });
    },
  };
})();
