// The live campaign page of `omnivox serve`: reads the JSON API under /v1 and the event stream
// /v1/events with a bearer token (no framework, no CDN; the chart is the vendored uPlot).
"use strict";

const $ = (id) => document.getElementById(id);
// The rolling abandon window the page computes from statistics ticks (engine-clock minutes).
const WINDOW_MINUTES = 15;
const POLL_MS = 2000;

const page = {
  token: "",
  scope: "",          // "read" or "control" once known
  campaign: "",       // selected campaign id
  info: null,         // GET /v1/campaigns/{id}
  stats: null,        // latest statistics (API or event)
  ticks: [],          // [{t (s), abandons, live, rate, occupancy}] from statistics events
  agents: null,       // GET /v1/campaigns/{id}/agents?intervals=true
  agentsAt: 0,        // performance.now() when agents were read
  metrics: {},        // parsed /metrics samples of the campaign
  stream: null,       // AbortController of the event stream
  lastEventId: "",
  chart: null,
};

// ---- formatting ----
const pct = (x) => (x == null || isNaN(x) ? "–" : (100 * x).toFixed(1) + " %");
const num = (x, d = 0) => (x == null || isNaN(x) ? "–" : Number(x).toFixed(d));
function dur(s) {
  if (s == null || isNaN(s)) return "–";
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (v) => String(v).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}
function text(id, value) { const el = $(id); if (el) el.textContent = value; }
function showMessage(msg) {
  const el = $("message");
  el.hidden = !msg;
  el.textContent = msg || "";
}
function fillCounts(tableId, entries) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren(...entries.map(([k, v]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("td");
    th.textContent = k;
    const td = document.createElement("td");
    td.textContent = v;
    tr.append(th, td);
    return tr;
  }));
}

// ---- API ----
class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error && body.error.code;
  }
}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: "Bearer " + page.token }, options.headers || {});
  const res = await fetch(path, Object.assign({}, options, { headers }));
  const type = res.headers.get("Content-Type") || "";
  const body = type.startsWith("application/json") ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof body === "object" ? body : null);
  return body;
}

// The token's scope: a control route with an empty body is refused 403 for a read token before
// the body is looked at, and 400 (the body is invalid) for a control token; nothing changes.
async function probeScope() {
  try {
    await api("/v1/dnc", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    return "control";
  } catch (e) {
    if (e.status === 403) return "read";
    if (e.status === 401) throw e;
    return "control";
  }
}

// Prometheus text format: the samples of the selected campaign, name -> [{labels, value}].
function parseMetrics(textBody, campaign) {
  const out = {};
  for (const line of textBody.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] || "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    if (labels.campaign !== undefined && labels.campaign !== campaign) continue;
    (out[m[1]] = out[m[1]] || []).push({ labels, value: Number(m[3]) });
  }
  return out;
}

// ---- rendering ----
function renderCampaign() {
  const info = page.info;
  const state = info ? info.state : "–";
  const badge = $("campaign-state");
  badge.textContent = state;
  badge.className = "badge " + state;
  text("dial-mode", info ? info.dial_mode : "");
  const control = page.scope === "control" && info;
  $("start").disabled = !control || state === "running";
  $("pause").disabled = !control || state !== "running";
  text("scope", page.scope ? page.scope + " token" : "");
}

function windowRate() {
  const ticks = page.ticks;
  if (ticks.length < 2) return null;
  const last = ticks[ticks.length - 1];
  let first = ticks[0];
  for (const t of ticks) {
    if (t.t >= last.t - WINDOW_MINUTES * 60) { first = t; break; }
  }
  const live = last.live - first.live;
  return live > 0 ? (last.abandons - first.abandons) / live : 0;
}

function renderStatistics() {
  const s = page.stats;
  if (!s) return;
  text("dial-level", num(s.dial_level, 2));
  const cap = s.abandon_cap != null ? s.abandon_cap : page.info && page.info.abandon_cap;
  // The compliance window's rate (the one the cap applies to) when the server sends it, else
  // the page's own rate over its last ticks.
  const compliance = s.abandon_rate_window != null;
  const win = compliance ? s.abandon_rate_window : windowRate();
  text("abandon-window", pct(win));
  text("window-label", compliance ? "rolling compliance window"
    : `last ${WINDOW_MINUTES} min (from live ticks)`);
  text("abandon-total", pct(s.abandon_rate));
  text("abandon-cap", pct(cap));
  const worst = Math.max(win || 0, s.abandon_rate || 0);
  $("abandon-tile").className = "tile" + (cap && worst > cap ? " over" : cap && worst > 0.8 * cap ? " near" : "");
  text("occupancy", pct(s.occupancy));
  text("attempts", num(s.attempts));
  text("connects", num(s.connects));
  text("live-answers", num(s.live_answers));
  text("queued", num(s.dial_queue_size));
  text("final", `${num(s.contacts_final)} / ${num(s.contacts_total)}`);
  const byState = Object.entries(s.agents_by_state || {}).filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`).join(" · ");
  text("agents-by-state", byState);
  fillCounts("dispositions", Object.entries(s.dispositions || {}).filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]));
}

function renderAgents() {
  const a = page.agents;
  if (!a) return;
  const elapsed = (performance.now() - page.agentsAt) / 1000;
  const rows = a.agents.map((ag) => {
    const t = ag.totals;
    const tr = document.createElement("tr");
    tr.dataset.agent = ag.id;
    const cells = [ag.name, ag.state, dur(ag.seconds_in_state + elapsed), num(t.calls_handled),
      dur(t.talk_seconds), dur(t.wrap_seconds), dur(t.idle_seconds), dur(t.paused_seconds),
      pct(t.occupancy), num(t.sales_per_hour, 2), dur(t.longest_idle_seconds), ag.pause_reason || ""];
    cells.forEach((c, i) => {
      const td = document.createElement("td");
      td.textContent = c;
      if (i === 1) td.className = "state state-" + ag.state;
      tr.append(td);
    });
    return tr;
  });
  $("agents").tBodies[0].replaceChildren(...rows);
  const t = a.totals;
  const foot = document.createElement("tr");
  for (const c of ["All agents", "", "", num(t.calls_handled), dur(t.talk_seconds),
    dur(t.wrap_seconds), dur(t.idle_seconds), dur(t.paused_seconds), pct(t.occupancy),
    num(t.sales_per_hour, 2), dur(t.longest_idle_seconds), ""]) {
    const td = document.createElement("td");
    td.textContent = c;
    foot.append(td);
  }
  $("agents").tFoot.replaceChildren(foot);
}

// Attempts by result, grouped into the classes a carrier's answer falls in, and the telephony
// failures by reason (SIP / provider errors).
const RESULT_CLASS = {
  SALE: "answered: agent", NOT_INTERESTED: "answered: agent", CALLBACK: "answered: agent",
  DNC: "answered: agent", WRONG_NUMBER: "answered: agent", COMPLETED: "answered: agent",
  ABANDONED: "answered: abandoned", MACHINE: "answered: machine", FAX: "answered: fax",
  BUSY: "busy", NO_ANSWER: "no answer", INVALID_NUMBER: "invalid number", FAILED: "failed",
  CANCELED: "canceled",
};

function renderMetrics() {
  const m = page.metrics;
  const sum = (name, filter) => (m[name] || []).filter((s) => !filter || filter(s.labels))
    .reduce((a, s) => a + s.value, 0);
  text("leased", num(sum("omnivox_leases_held")));
  fillCounts("calls", (m.omnivox_calls_active || []).map((s) => [s.labels.state, s.value]));
  const classes = {};
  for (const s of m.omnivox_attempts_total || []) {
    const c = RESULT_CLASS[s.labels.result] || s.labels.result;
    classes[c] = (classes[c] || 0) + s.value;
  }
  const rows = Object.entries(classes).sort((a, b) => b[1] - a[1]);
  for (const s of m.omnivox_telephony_errors_total || []) {
    if (s.value > 0) rows.push(["failed: " + s.labels.reason, s.value]);
  }
  fillCounts("results", rows);
}

function renderCensus(census) {
  const by = census.by_reason || {};
  text("dialable", num(by.dialable));
  fillCounts("census", Object.entries(by).filter(([k, n]) => k !== "dialable" && n > 0)
    .sort((a, b) => b[1] - a[1]));
}

// The chart: occupancy per 15-minute interval (agent statistics) and, from the live ticks,
// occupancy and the abandon rates; the cap as a line.
function renderChart() {
  const el = $("chart");
  const points = new Map();  // t -> [interval occupancy, live occupancy, abandon to date, window]
  const at = (t) => { if (!points.has(t)) points.set(t, [null, null, null, null]); return points.get(t); };
  for (const iv of (page.agents && page.agents.intervals) || []) {
    if (iv.logged_in_seconds > 0) {  // a flat step over the interval (to now for the last one)
      at(Date.parse(iv.start) / 1000)[0] = iv.occupancy;
      at(Date.parse(iv.end) / 1000 - 0.001)[0] = iv.occupancy;
    }
  }
  for (const k of page.ticks) {
    const p = at(k.t);
    p[1] = k.occupancy;
    p[2] = k.rate;
    p[3] = k.window;
  }
  const xs = [...points.keys()].sort((a, b) => a - b);
  const cap = page.stats && page.stats.abandon_cap;
  const data = [xs, ...[0, 1, 2, 3].map((i) => xs.map((x) => points.get(x)[i])),
    xs.map(() => (cap == null ? null : cap))];
  const width = Math.max(300, el.clientWidth || 600);
  if (!page.chart) {
    const pctAxis = (u, vals) => vals.map((v) => (100 * v).toFixed(0) + " %");
    page.chart = new uPlot({
      width, height: 240,
      scales: { y: { range: [0, 1] } },
      axes: [{}, { values: pctAxis }],
      series: [
        {},
        { label: "occupancy (15 min)", stroke: "#2563eb", width: 2, spanGaps: true,
          paths: uPlot.paths.stepped({ align: 1 }), value: (u, v) => pct(v) },
        { label: "occupancy (live)", stroke: "#93c5fd", spanGaps: true, value: (u, v) => pct(v) },
        { label: "abandon (to date)", stroke: "#b91c1c", width: 2, spanGaps: true, value: (u, v) => pct(v) },
        { label: "abandon (rolling window)", stroke: "#f97316", spanGaps: true, value: (u, v) => pct(v) },
        { label: "abandon cap", stroke: "#6b7280", dash: [6, 4], value: (u, v) => pct(v) },
      ],
    }, data, el);
  } else {
    page.chart.setData(data);
    if (Math.abs(page.chart.width - width) > 20) page.chart.setSize({ width, height: 240 });
  }
}

// ---- data flow ----
function onStatistics(s) {
  page.stats = s;
  const t = Date.parse(s.at) / 1000;
  const last = page.ticks[page.ticks.length - 1];
  if (!last || t > last.t) {
    page.ticks.push({ t, abandons: s.abandons, live: s.live_answers, rate: s.abandon_rate,
      occupancy: s.occupancy, window: null });
    page.ticks[page.ticks.length - 1].window =
      s.abandon_rate_window != null ? s.abandon_rate_window : windowRate();
    if (page.ticks.length > 20000) page.ticks.splice(0, page.ticks.length - 20000);
  }
  renderStatistics();
}

async function poll() {
  if (!page.token || !page.campaign) return;
  const id = encodeURIComponent(page.campaign);
  try {
    const [info, stats, agents, census, metrics] = await Promise.all([
      api(`/v1/campaigns/${id}`), api(`/v1/campaigns/${id}/statistics`),
      api(`/v1/campaigns/${id}/agents?intervals=true`), api(`/v1/campaigns/${id}/census`),
      api("/metrics")]);
    page.info = info;
    page.agents = agents;
    page.agentsAt = performance.now();
    page.metrics = parseMetrics(metrics, page.campaign);
    onStatistics(stats);
    renderCampaign();
    renderAgents();
    renderMetrics();
    renderCensus(census);
    renderChart();
    showMessage("");
  } catch (e) {
    showMessage(e.status === 401 ? "The token was refused." : "Reading the API failed: " + e.message);
  }
}

// Server-Sent Events through fetch (EventSource cannot send an Authorization header);
// reconnects after a second with Last-Event-ID.
async function streamEvents() {
  if (page.stream) page.stream.abort();
  const controller = new AbortController();
  page.stream = controller;
  const campaign = page.campaign;
  while (!controller.signal.aborted) {
    try {
      const headers = { Authorization: "Bearer " + page.token, Accept: "text/event-stream" };
      if (page.lastEventId) headers["Last-Event-ID"] = page.lastEventId;
      const res = await fetch(`/v1/events?campaign=${encodeURIComponent(campaign)}`,
        { headers, signal: controller.signal });
      if (!res.ok) throw new ApiError(res.status, null);
      $("live").textContent = "live";
      $("live").className = "badge running";
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          onEventBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) {
      if (controller.signal.aborted) return;
    }
    $("live").textContent = "reconnecting";
    $("live").className = "badge off";
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function onEventBlock(block) {
  let type = "message", data = "", id = "";
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") type = value;
    else if (field === "data") data += value;
    else if (field === "id") id = value;
  }
  if (id) page.lastEventId = id;
  if (!data) return;
  let ev;
  try { ev = JSON.parse(data); } catch (e) { return; }
  if (type === "statistics") {
    onStatistics(ev);
  } else if (type === "campaign" && page.info) {
    page.info.state = ev.state;
    renderCampaign();
  } else if (type === "agent" && page.agents) {
    const ag = page.agents.agents.find((a) => a.id === ev.agent_id);
    if (ag) {
      ag.state = ev.to;
      ag.seconds_in_state = -(performance.now() - page.agentsAt) / 1000;
      renderAgents();
    }
  }
}

async function control(action) {
  try {
    await api(`/v1/campaigns/${encodeURIComponent(page.campaign)}/${action}`, { method: "POST" });
    page.info = await api(`/v1/campaigns/${encodeURIComponent(page.campaign)}`);
    renderCampaign();
  } catch (e) {
    showMessage(`${action} failed: ${e.message}`);
  }
}

async function useToken(token) {
  page.token = token.trim();
  if (!page.token) return;
  sessionStorage.setItem("omnivox-token", page.token);
  try {
    page.scope = await probeScope();
    const list = await api("/v1/campaigns");
    const select = $("campaign");
    select.replaceChildren(...list.campaigns.map((c) => new Option(c.name || c.id, c.id)));
    const wanted = hashParams().get("campaign");
    if (wanted && list.campaigns.some((c) => c.id === wanted)) select.value = wanted;
    if (!list.campaigns.length) showMessage("No campaign yet: create one through the API.");
    selectCampaign(select.value);
  } catch (e) {
    page.scope = "";
    renderCampaign();
    showMessage(e.status === 401 ? "The token was refused." : "Reading the API failed: " + e.message);
  }
}

function selectCampaign(id) {
  if (!id || id === page.campaign) return;
  page.campaign = id;
  page.ticks = [];
  page.lastEventId = "";
  if (page.chart) { page.chart.destroy(); page.chart = null; }
  poll();
  streamEvents();
}

function hashParams() { return new URLSearchParams(location.hash.replace(/^#/, "")); }

function init() {
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    useToken($("token").value);
  });
  $("campaign").addEventListener("change", (e) => selectCampaign(e.target.value));
  $("start").addEventListener("click", () => control("start"));
  $("pause").addEventListener("click", () => control("pause"));
  const token = hashParams().get("token") || sessionStorage.getItem("omnivox-token") || "";
  if (token) useToken(token);
  setInterval(poll, POLL_MS);
  setInterval(renderAgents, 1000);  // time in state keeps counting between reads
  window.addEventListener("resize", () => page.chart && renderChart());
}

init();
