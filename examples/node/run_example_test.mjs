#!/usr/bin/env node
// ctest examples.node: starts `omnivox serve` (memory storage, 127.0.0.1, a free port in
// 18500-18999), runs bank_campaign.mjs against it for a few seconds and checks that it created
// the campaign, uploaded the contacts, dialed and printed events.
//   node run_example_test.mjs OMNIVOX_BINARY
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

async function freePort() {
  for (let tries = 0; tries < 50; tries++) {
    const port = 18500 + Math.floor(Math.random() * 500);
    const ok = await new Promise((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  fail("no free port in 18500-18999");
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), "omnivox-node-example-"));
  const tokenFile = join(work, "tokens");
  const port = await freePort();
  const server = spawn(binary, ["serve", "--storage", "memory", "--listen", `127.0.0.1:${port}`,
    "--token-file", tokenFile, "--speed", "10", "--drain-timeout", "2"], { stdio: "inherit" });
  let exited = false;
  server.on("exit", () => { exited = true; });
  try {
    let control = "";
    for (let i = 0; i < 80 && !control; i++) {
      if (exited) fail("omnivox serve exited");
      try {
        const line = readFileSync(tokenFile, "utf8").split("\n").find((l) => l.startsWith("control "));
        if (line) control = line.split(" ")[1];
      } catch { /* not written yet */ }
      if (!control) await sleep(250);
    }
    if (!control) fail("no token file");
    for (let i = 0; i < 80; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
      } catch { /* not listening yet */ }
      await sleep(250);
    }

    const child = spawn(process.execPath, [join(here, "bank_campaign.mjs"), "--url",
      `http://127.0.0.1:${port}`, "--token", control, "--seconds", "8", "--rows", "500",
      "--agents", "8"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => { out += d; process.stdout.write(d); });
    const code = await new Promise((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), 45000);
      child.on("exit", (c) => { clearTimeout(kill); resolve(c); });
    });
    if (code !== 0) fail(`bank_campaign.mjs exited with ${code}`);
    if (!/created campaign bank-node/.test(out)) fail("no campaign created");
    if (!/uploaded contacts: 500 loaded/.test(out)) fail("the 500 contacts were not uploaded");
    if (!/logged in 8 agents/.test(out)) fail("agents not logged in");
    if (!/call \d+ {2}\w+ -> \w+/.test(out)) fail("no call event printed");
    const m = out.match(/summary: attempts (\d+)/);
    if (!m || Number(m[1]) === 0) fail("nothing dialed");
    console.log(`examples.node: ${m[1]} attempts through the API`);
  } finally {
    server.kill("SIGTERM");
    for (let i = 0; i < 40 && !exited; i++) await sleep(250);
    if (!exited) server.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  if (!process.exitCode) console.error(`FAIL: ${e.message}`);
  process.exitCode = 1;
});
