// switchboard studio: the page's code (docs/studio.md). Plain JavaScript,
// no build step. The server does the work (POST /api/check, graph, run,
// diff, save, each with the editor's buffers); this file keeps the buffers,
// draws the answers and marks them for tests with data-testid
// (docs/studio.md, "Test hooks": "diagnostics", "decision", "graph").
"use strict";

const $ = (id) => document.getElementById(id);

// el("td", {class: "x"}, "text", child...): an element.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const state = {
  files: [],          // [{name, path, text, saved}] in load order
  current: 0,         // the file in the editor
  editor: null,       // CodeMirror, or null for the text area
  docs: [],           // CodeMirror documents, one per file
  textarea: null,
  eventsFile: null,   // the --events file's name
  checkOk: false,
  diagnostics: [],
  marks: [],
  checkSeq: 0,
  runSeq: 0,
};

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body),
  });
  let data;
  try {
    data = await res.json();
  } catch (e) {
    data = {error: `HTTP ${res.status}`};
  }
  return {status: res.status, data};
}

// ---- the editor -------------------------------------------------------------

function textOf(i) {
  if (state.editor) return state.docs[i].getValue();
  if (i === state.current) state.files[i].text = state.textarea.value;
  return state.files[i].text;
}

function buffers() {
  return state.files.map((f, i) => ({name: f.name, text: textOf(i)}));
}

function createEditor() {
  const host = $("editor-host");
  if (window.CodeMirror) {
    state.editor = window.CodeMirror(host, {
      lineNumbers: true,
      gutters: ["sb-gutter", "CodeMirror-linenumbers"],
      indentUnit: 2,
      tabSize: 2,
      extraKeys: {Tab: (cm) => cm.replaceSelection("  ")},
    });
    state.docs = state.files.map((f) => window.CodeMirror.Doc(f.text, "yaml"));
    state.editor.swapDoc(state.docs[0]);
    state.editor.on("changes", edited);
    host.dataset.editor = "codemirror";
  } else {
    state.textarea = el("textarea", {spellcheck: "false", "aria-label": "rule file"});
    state.textarea.value = state.files[0].text;
    state.textarea.addEventListener("input", edited);
    host.append(state.textarea);
    host.dataset.editor = "textarea";
  }
}

function showFile(i) {
  if (i < 0 || i === state.current) return;
  if (state.editor) {
    state.current = i;
    state.editor.swapDoc(state.docs[i]);
  } else {
    textOf(state.current);
    state.current = i;
    state.textarea.value = state.files[i].text;
  }
  drawFileTabs();
  markEditor();
}

function goTo(d) {
  const i = state.files.findIndex((f) => f.name === d.name);
  if (i < 0) return;
  showFile(i);
  const line = Math.max(0, d.line - 1), ch = Math.max(0, d.column - 1);
  if (state.editor) {
    state.editor.focus();
    state.editor.setCursor({line, ch});
    state.editor.scrollIntoView({line, ch}, 80);
  } else {
    const lines = state.textarea.value.split("\n");
    let at = 0;
    for (let k = 0; k < line && k < lines.length; ++k) at += lines[k].length + 1;
    state.textarea.focus();
    state.textarea.setSelectionRange(at + ch, at + ch);
  }
}

function drawFileTabs() {
  const nav = $("files");
  nav.replaceChildren();
  state.files.forEach((f, i) => {
    const dirty = textOf(i) !== f.saved;
    nav.append(el("button", {
      class: (i === state.current ? "active" : "") + (dirty ? " dirty" : ""),
      "data-file": f.name, title: f.path, onclick: () => showFile(i),
    }, f.name));
  });
}

// Gutter markers and underlines for the current file's diagnostics.
function markEditor() {
  if (!state.editor) return;
  for (const m of state.marks) m.clear();
  state.marks = [];
  state.editor.clearGutter("sb-gutter");
  const name = state.files[state.current].name;
  for (const d of state.diagnostics) {
    if (d.name !== name || d.line <= 0) continue;
    const line = d.line - 1;
    const marker = el("span", {class: "sb-marker " + d.severity,
                               title: d.message + (d.hint ? "\n" + d.hint : "")},
                      d.severity === "error" ? "●" : "▲");
    state.editor.setGutterMarker(line, "sb-gutter", marker);
    const from = {line, ch: Math.max(0, d.column - 1)};
    const text = state.editor.getLine(line) || "";
    let end = from.ch;
    while (end < text.length && /[^\s:,{}\[\]]/.test(text[end])) ++end;
    if (end === from.ch) end = Math.min(text.length, from.ch + 1);
    state.marks.push(state.editor.markText(from, {line, ch: end}, {
      className: d.severity === "error" ? "sb-error-mark" : "sb-warning-mark",
      title: d.message,
    }));
  }
}

// ---- check (as the author types) ---------------------------------------------

let checkTimer = null;
function edited() {
  drawFileTabs();
  $("save-status").textContent = "";
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 300);
}

async function check() {
  const seq = ++state.checkSeq;
  const {data} = await api("/api/check", {files: buffers()});
  if (seq !== state.checkSeq) return;  // a later edit is being checked
  if (data.error) {
    $("check-status").textContent = data.error;
    return;
  }
  state.checkOk = data.ok;
  state.diagnostics = data.diagnostics;
  const badge = $("check-status");
  badge.className = "badge " + (data.ok ? "ok" : "errors");
  badge.dataset.errors = data.errors;
  badge.textContent = data.ok
    ? `ok: ${data.ruleset}, ${data.rules.length} rules` + (data.warnings ? ", " + plural(data.warnings, "warning") : "")
    : plural(data.errors, "error");
  $("force-label").hidden = data.ok;
  drawDiagnostics();
  markEditor();
  graph();
  if (data.ok) {
    scheduleRun();
  } else if (document.body.dataset.runState === "done") {
    setRunState("stale", "The edited rules have errors: the decisions below are those of the last version that loaded.");
  }
}

function drawDiagnostics() {
  const list = $("diagnostics");
  list.replaceChildren();
  for (const d of state.diagnostics) {
    const caret = d.caret >= 0 ? " ".repeat(d.caret) + "^" : "";
    list.append(el("li", {
      class: d.severity, "data-testid": "diagnostic", "data-severity": d.severity,
      "data-file": d.name || d.file, "data-line": d.line, "data-column": d.column,
      onclick: () => goTo(d),
    },
    el("span", {class: "where"}, `${d.file}${d.line ? ":" + d.line + ":" + d.column : ""}: ${d.severity}: `),
    el("span", {class: "message", "data-testid": "diagnostic-message"}, d.message),
    d.hint ? el("span", {class: "hint", "data-testid": "hint"}, d.hint) : null,
    d.source_line ? el("pre", {}, d.source_line + "\n" + caret) : null));
  }
  const errors = state.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = state.diagnostics.length - errors;
  $("diagnostic-count").textContent = state.diagnostics.length
    ? `(${plural(errors, "error")}, ${plural(warnings, "warning")})` : "(none)";
}

async function graph() {
  const {data} = await api("/api/graph", {files: buffers()});
  const host = $("graph");
  if (data.ok) {
    host.innerHTML = data.svg;  // made by the server from the rule graph
    host.dataset.rules = data.rules;
  } else if (!host.firstChild) {
    host.append(el("p", {class: "muted"}, "The graph is drawn once the ruleset loads."));
  }
}

// ---- run ----------------------------------------------------------------------

function setRunState(s, text) {
  document.body.dataset.runState = s;
  const status = $("run-status");
  status.dataset.state = s;
  status.textContent = text;
}

function eventsBody() {
  if ($("use-pasted").checked || !state.eventsFile) {
    const text = $("events-text").value;
    return text.trim() ? text : (state.eventsFile ? undefined : "");
  }
  return undefined;  // the --events file
}

let runTimer = null;
function scheduleRun() {
  clearTimeout(runTimer);
  setRunState("running", "the rules changed: running the events again…");
  runTimer = setTimeout(run, 500);
}

async function run() {
  clearTimeout(runTimer);
  const seq = ++state.runSeq;
  setRunState("running", "running…");
  const body = {files: buffers()};
  const events = eventsBody();
  if (events !== undefined) body.events = events;
  const {status, data} = await api("/api/run", body);
  if (seq !== state.runSeq) return;
  if (status !== 200) {
    $("decisions").replaceChildren();
    $("shown-count").textContent = "";
    setRunState("error", data.diagnostics
      ? "The edited rules have errors: fix them to run the events (see Diagnostics)."
      : data.error);
    return;
  }
  drawDecisions(data.decisions, data.trace || []);
  drawSummary(data);
  const s = data.summary;
  setRunState("done",
    `${s.decisions} decisions from ${s.events} events` +
    (data.events_source ? ` (${data.events_source})` : " (no events: paste some in Events)") +
    (s.bad_lines ? `, ${s.bad_lines} bad lines` : "") +
    (s.evaluation_errors ? `, ${s.evaluation_errors} evaluation errors` : "") +
    (data.truncated ? "; only the first decisions are listed" : ""));
}

// The parameters of a decision: the members other than the common ones.
const kCommon = new Set(["time", "ruleset", "session", "rule", "action", "trigger", "explain"]);
function params(d) {
  const show = (v) => Array.isArray(v) ? v.join(",")
    : v && typeof v === "object" ? Object.entries(v).map(([a, b]) => `${a}:${b}`).join(",")
    : v;
  return Object.entries(d).filter(([k]) => !kCommon.has(k))
    .map(([k, v]) => `${k}=${show(v)}`).join(" ");
}

function drawDecisions(decisions, traces) {
  const body = $("decisions");
  const rows = decisions.map(({decision: d, text, trace}) => {
    const row = el("tr", {
      class: "decision", "data-testid": "decision", "data-session": d.session,
      "data-rule": d.rule, "data-action": d.action, title: text,
    }, el("td", {}, d.time), el("td", {}, d.session), el("td", {}, d.rule),
    el("td", {}, d.action), el("td", {}, params(d)), el("td", {}, d.trigger));
    const record = trace === null || trace === undefined ? null : traces[trace];
    row.addEventListener("click", () => toggleExplanation(row, d, record));
    return row;
  });
  body.replaceChildren(...rows);
  filter();
}

// The trace of the trigger that made a decision (run --trace's record):
// when, from where, and every rule the trigger considered, decided or not.
function traceOf(record) {
  if (!record) return null;
  const box = el("div", {class: "trace", "data-testid": "trace"},
    el("div", {class: "muted"},
      `trace: ${record.trigger} (${record.source}) at ${record.time}` +
      (record.session ? ` for ${record.session}` : "") +
      `, ${record.rules.length} rules considered, ${record.decisions} decisions`));
  for (const r of record.rules) {
    const conditions = (r.conditions || []).map((c) => `${c.if} -> ${c.value}`).join("; ");
    box.append(el("div", {},
      "  ", el("span", {class: "outcome-" + r.outcome}, r.outcome.padEnd(11)), " ", r.rule,
      conditions ? "  " + conditions : "",
      r.detail ? `  [${r.detail}]` : ""));
  }
  for (const n of record.notes || []) box.append(el("div", {}, "  note: " + n));
  return box;
}

function toggleExplanation(row, d, record) {
  const next = row.nextElementSibling;
  if (next && next.classList.contains("explanation")) {
    next.remove();
    return;
  }
  const cell = el("td", {colspan: 6});
  const explain = d.explain || {rules: [], notes: []};
  for (const r of explain.rules || []) {
    const conditions = (r.conditions || []).map((c) => `${c.if} -> ${c.value}`).join("; ");
    cell.append(el("div", {},
      el("b", {}, r.rule), " ",
      el("span", {class: "outcome-" + r.outcome}, r.outcome),
      conditions ? "  " + conditions : "",
      r.detail ? `  [${r.detail}]` : ""));
  }
  for (const n of explain.notes || []) cell.append(el("div", {}, "note: " + n));
  const trace = traceOf(record);
  if (trace) cell.append(trace);
  row.after(el("tr", {class: "explanation", "data-testid": "explanation"}, cell));
}

function filter() {
  const want = {
    session: $("filter-session").value.trim(),
    rule: $("filter-rule").value.trim(),
    action: $("filter-action").value.trim(),
  };
  let shown = 0, all = 0;
  for (const row of $("decisions").querySelectorAll("tr.decision")) {
    ++all;
    const ok = Object.entries(want).every(([k, v]) => !v || row.dataset[k].includes(v));
    row.hidden = !ok;
    const next = row.nextElementSibling;
    if (next && next.classList.contains("explanation")) next.hidden = !ok;
    if (ok) ++shown;
  }
  $("shown-count").textContent = shown === all ? `${all} decisions` : `${shown} of ${all} decisions`;
}

function table(head, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c))))));
}

function drawSummary(data) {
  const s = data.summary;
  const host = $("summary");
  host.replaceChildren(
    el("p", {}, `ruleset ${s.ruleset}: ${s.events} events (${s.late_events} late, ${s.derived_events} derived), ` +
      `${s.bad_lines} bad lines, ${s.decisions} decisions, ${s.pending_timers} pending timers, ${s.sessions} sessions`),
    el("h3", {}, "Decisions per rule"),
    s.decisions_by_rule.length
      ? table(["rule", "action", "decisions"], s.decisions_by_rule.map((r) => [r.rule, r.action, r.decisions]))
      : el("p", {class: "muted"}, "none"),
    el("h3", {}, `Rules that never ran (${s.never_ran.length})`),
    el("ul", {"data-testid": "never-ran"}, ...s.never_ran.map((r) => el("li", {}, r))),
    el("h3", {}, `Evaluation errors (${s.evaluation_errors})`),
    s.errors_by_rule.length
      ? table(["rule", "errors", "messages"], s.errors_by_rule.map((r) => [r.rule, r.count,
        r.messages.join("\n")]))
      : el("p", {class: "muted"}, "none"),
    el("h3", {}, `Bad lines (${s.bad_lines})`),
    el("pre", {}, data.bad_lines.join("\n")));
}

// ---- diff and save ------------------------------------------------------------

async function diff() {
  const host = $("diff");
  host.replaceChildren(el("p", {class: "muted"}, "comparing…"));
  selectTab("diff");
  const body = {files: buffers()};
  const events = eventsBody();
  if (events !== undefined) body.events = events;
  const {status, data} = await api("/api/diff", body);
  if (status !== 200) {
    host.replaceChildren(el("p", {class: "change-removed"}, data.error));
    return;
  }
  const t = data.total;
  host.replaceChildren(
    el("p", {"data-testid": "diff-total", "data-identical": data.identical},
      data.identical ? `No difference: ${t.old_decisions} decisions either way.`
        : `On disk ${t.old_decisions} decisions, edited ${t.new_decisions}: ` +
          `${t.added} added, ${t.removed} removed, ${t.changed} changed, ${t.unchanged} unchanged.`),
    el("h3", {}, "Per rule"),
    table(["rule", "on disk", "edited", "added", "removed", "changed"],
      data.rules.map((r) => [r.rule, r.counts.old_decisions, r.counts.new_decisions,
        r.counts.added, r.counts.removed, r.counts.changed])),
    el("h3", {}, "Differences"),
    ...data.differences.map((d) => el("pre", {class: "change-" + d.change, "data-testid": "difference"}, d.text)));
}

// Save: every changed file or none. Each file goes with its "base", the
// text this page last read from disk or saved, so that a file another page
// (or an editor) saved meanwhile is not overwritten unasked (409).
async function save(force, overwrite) {
  const files = buffers().map((b, i) => ({...b, base: state.files[i].saved}));
  const {status, data} = await api("/api/save", {files, force: !!force, overwrite: !!overwrite});
  const out = $("save-status");
  out.dataset.status = status;
  if (status === 200) {
    state.files.forEach((f, i) => { f.saved = files[i].text; });
    drawFileTabs();
    out.textContent = data.saved.length ? `saved ${data.saved.join(", ")}` : "nothing to save";
  } else if (status === 409) {
    const again = el("button", {"data-testid": "overwrite-button"}, "overwrite");
    again.addEventListener("click", () => save(force, true));
    out.replaceChildren(data.error + " ", again);
  } else {
    out.textContent = data.error;
  }
}

// ---- the page ------------------------------------------------------------------

function selectTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) {
    b.classList.toggle("active", b.dataset.tab === name);
  }
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== "tab-" + name;
}

async function start() {
  const {status, data} = await api("/api/state");
  if (status !== 200) {
    setRunState("error", data.error);
    return;
  }
  state.files = data.files.map((f) => ({...f, saved: f.text}));
  state.eventsFile = data.events;
  $("rules-name").textContent = data.rules;
  document.title = `switchboard studio: ${data.rules}`;
  $("events-source").textContent = data.events
    ? `Events: ${data.events} (run on load). Paste or upload JSON Lines to run others.`
    : "No --events file: paste or upload JSON Lines events here, then Run.";
  createEditor();
  drawFileTabs();
  for (const b of document.querySelectorAll("#tabs button")) {
    b.addEventListener("click", () => selectTab(b.dataset.tab));
  }
  for (const id of ["filter-session", "filter-rule", "filter-action"]) {
    $(id).addEventListener("input", filter);
  }
  $("run-button").addEventListener("click", run);
  $("diff-button").addEventListener("click", diff);
  $("save-button").addEventListener("click", () => save($("force").checked));
  $("events-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    $("events-text").value = await file.text();
    $("use-pasted").checked = true;
    run();
  });
  $("events-text").addEventListener("input", () => { $("use-pasted").checked = true; });
  window.addEventListener("beforeunload", (e) => {
    if (state.files.some((f, i) => textOf(i) !== f.saved)) e.preventDefault();
  });
  await check();
  await run();  // on a broken ruleset too: the run says why it cannot
}

// For tests and the console: the buffers by name.
window.studio = {
  text: (name) => textOf(state.files.findIndex((f) => f.name === name)),
  setText: (name, text) => {
    const i = state.files.findIndex((f) => f.name === name);
    showFile(i);
    if (state.editor) state.docs[i].setValue(text);
    else { state.textarea.value = text; edited(); }
  },
  run, diff, save,
};

start();
