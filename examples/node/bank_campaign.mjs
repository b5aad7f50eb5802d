#!/usr/bin/env node
// Drives `omnivox serve` from Node.js with nothing but the standard library (Node 18+: fetch and
// web streams): creates the bank campaign, uploads the bank's contacts, logs the agents in,
// starts dialing and prints the live events for a bounded time, then a summary.
//
//   node bank_campaign.mjs --url http://127.0.0.1:8080 --token CONTROL_TOKEN [--seconds 30]
//        [--rows 2000] [--agents 10] [--id bank-node]
//
// The token may also come from OMNIVOX_TOKEN. The campaign is examples/campaigns/bank.json with
// what a server campaign cannot take changed: a parametric simulated world instead of the replay
// (a campaign created through the API names no file), the contacts uploaded instead of read from
// a path, and the call window opened all day so that the example dials at any hour.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

function options(argv) {
  const o = { url: "http://127.0.0.1:8080", token: process.env.OMNIVOX_TOKEN || "", seconds: 30,
    rows: 2000, agents: 10, id: "bank-node" };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in o) || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${argv[i]}`);
    o[key] = typeof o[key] === "number" ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!o.token) throw new Error("no token: --token or OMNIVOX_TOKEN");
  return o;
}

// The campaign files allow // comments (docs/campaign-file.md); JSON.parse does not.
function stripComments(text) {
  let out = "", inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Api {
  constructor(url, token) { this.url = url.replace(/\/$/, ""); this.token = token; }

  async call(method, path, body, contentType = "application/json") {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = contentType;
    const res = await fetch(this.url + path, {
      method, headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const data = (res.headers.get("content-type") || "").startsWith("application/json")
      ? await res.json() : await res.text();
    if (!res.ok) {
      const e = data && data.error ? data.error : { code: "http", message: String(data) };
      const err = new Error(`${method} ${path}: ${res.status} ${e.code}: ${e.message}`);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  // Server-Sent Events of one campaign until `signal` aborts: calls onEvent(type, data, id).
  async events(campaign, onEvent, signal) {
    const res = await fetch(`${this.url}/v1/events?campaign=${encodeURIComponent(campaign)}`, {
      headers: { Authorization: `Bearer ${this.token}`, Accept: "text/event-stream" }, signal,
    });
    if (!res.ok) throw new Error(`GET /v1/events: ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = "message", data = "", id = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) type = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
            else if (line.startsWith("id: ")) id = line.slice(4);
          }
          if (data) onEvent(type, JSON.parse(data), id);
        }
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  }
}

function bankCampaign(o) {
  const file = JSON.parse(stripComments(readFileSync(join(here, "../campaigns/bank.json"), "utf8")));
  file.id = o.id;
  file.agents = o.agents;
  file.call_window = "00:00-24:00";
  delete file.contacts.file;
  delete file.start;
  file.simulation = { seed: 1, p_live: 0.35, p_machine: 0.15, p_busy: 0.1, p_sale: 0.12,
    answer_delay_s: file.simulation.answer_delay_s, wrap_up_s: file.simulation.wrap_up_s,
    talk_s: { lognormal: [60, 40] } };
  return file;
}

// The bank's contacts (examples/data/bank-full.csv): the header and the first `rows` rows.
function bankContacts(rows) {
  const lines = readFileSync(join(here, "../data/bank-full.csv"), "utf8").split("\n");
  const body = rows > 0 ? lines.slice(0, rows + 1) : lines.filter((l) => l);
  return body.join("\n") + "\n";
}

async function main() {
  const o = options(process.argv.slice(2));
  const api = new Api(o.url, o.token);
  const t0 = Date.now();
  const clock = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s`;

  try {
    const c = await api.call("POST", "/v1/campaigns", bankCampaign(o));
    console.log(`created campaign ${c.id} (${c.dial_mode}, ${c.agents} agents, cap ${c.abandon_cap})`);
  } catch (e) {
    if (e.status !== 409) throw e;
    console.log(`campaign ${o.id} exists: using it`);
  }
  const report = await api.call("POST", `/v1/campaigns/${o.id}/contacts?list=bank`,
    bankContacts(o.rows), "text/csv");
  console.log(`uploaded contacts: ${report.rows_loaded} loaded, ${report.rows_rejected} rejected, ` +
    `${report.rows_already_stored} already stored`);
  const { agents } = await api.call("GET", `/v1/campaigns/${o.id}/agents`);
  for (const a of agents) {
    await api.call("PUT", `/v1/campaigns/${o.id}/agents/${a.id}/state`, { state: "AVAILABLE" });
  }
  console.log(`logged in ${agents.length} agents`);

  const stop = new AbortController();
  const counts = {};
  const stream = api.events(o.id, (type, ev) => {
    counts[type] = (counts[type] || 0) + 1;
    if (type === "call") {
      console.log(`${clock()}  call ${ev.call_id}  ${ev.from} -> ${ev.to}` +
        (ev.agent_id !== undefined ? `  agent ${ev.agent_id}` : ""));
    } else if (type === "agent") {
      console.log(`${clock()}  agent ${ev.agent_id}  ${ev.from} -> ${ev.to}`);
    } else if (type === "statistics") {
      console.log(`${clock()}  statistics  attempts ${ev.attempts}, connects ${ev.connects}, ` +
        `abandon ${(100 * ev.abandon_rate).toFixed(1)} %, occupancy ` +
        `${(100 * ev.occupancy).toFixed(1)} %, dial level ${ev.dial_level.toFixed(2)}`);
    } else if (type === "campaign") {
      console.log(`${clock()}  campaign ${ev.campaign_id} is ${ev.state}`);
    }
  }, stop.signal);
  await api.call("POST", `/v1/campaigns/${o.id}/start`);
  const timer = setTimeout(() => stop.abort(), o.seconds * 1000);
  await stream;
  clearTimeout(timer);

  await api.call("POST", `/v1/campaigns/${o.id}/pause`);
  const s = await api.call("GET", `/v1/campaigns/${o.id}/statistics`);
  const a = await api.call("GET", `/v1/campaigns/${o.id}/agents`);
  console.log(`events: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ") || "none"}`);
  console.log(`summary: attempts ${s.attempts}, live answers ${s.live_answers}, connects ` +
    `${s.connects}, abandons ${s.abandons}, calls handled ${a.totals.calls_handled}, sales per ` +
    `hour ${a.totals.sales_per_hour.toFixed(2)}, occupancy ${(100 * a.totals.occupancy).toFixed(1)} %`);
}

main().catch((e) => {
  console.error(`bank_campaign: ${e.message}`);
  process.exit(1);
});
