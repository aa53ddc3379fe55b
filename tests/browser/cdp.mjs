// The browser-driving part of the headless-Chromium tests (book.mjs,
// class-report.mjs): Debian's Chromium started with the flags of a quiet,
// throw-away headless browser and driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: no WebSocket, no npm package, no browser
// download); a tab that records its requests and console errors; check()
// and the closing "N passed, N failed"; a deadline, and the browser and
// any other child killed on exit.
//
// A test script does
//   import { check, run, startChromium, openTab } from "./cdp.mjs";
//   run(async () => { ... check(ok, "what", "detail"); ... });
// and run() prints the summary and exits (non-zero on a failure).

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// ---- checks -------------------------------------------------------------
let passed = 0;
let failed = 0;
const failures = [];
export function check(ok, what, detail = "") {
  if (ok) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failed++;
    failures.push(`${what}${detail ? ": " + detail : ""}`);
    console.log(`FAIL ${what}${detail ? ": " + detail : ""}`);
  }
  return ok;
}

// ---- children, killed on exit -------------------------------------------
export const children = [];
export function cleanup() {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {}
  }
}
process.on("exit", cleanup);

// ---- the deadline and the summary ---------------------------------------
// The whole run is bounded: a hung browser must not hang CI.
let deadline = null;
export function setDeadline(minutes, name = "the browser test") {
  deadline = setTimeout(() => {
    console.log(`FAIL ${name} took longer than ${minutes} minutes`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    cleanup();
    process.exit(1);
  }, minutes * 60 * 1000);
}

// Runs `main`, counts a throw as a failed check, prints the failures and
// "N passed, N failed", and exits: 0 when nothing failed.
export function run(main, name = "the browser test") {
  return main()
    .catch((e) => check(false, `${name} ran`, e.stack || String(e)))
    .finally(() => {
      if (deadline) clearTimeout(deadline);
      if (failures.length) {
        console.log("\nfailures:");
        for (const f of failures) console.log(`  ${f}`);
      }
      console.log(`${passed} passed, ${failed} failed`);
      cleanup();
      process.exit(failed === 0 ? 0 : 1);
    });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- Chromium over --remote-debugging-pipe ------------------------------
export function startChromium(chromiumBin = process.env.CHROMIUM || "chromium") {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "book-chromium-"));
  const flags = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,1000",
    `--user-data-dir=${profile}`,
    "--remote-debugging-pipe",
    "about:blank",
  ];
  const proc = spawn(chromiumBin, flags, {
    stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
  });
  children.push(proc);
  let stderr = "";
  proc.stderr.on("data", (d) => {
    stderr += d;
  });
  const toBrowser = proc.stdio[3];
  const fromBrowser = proc.stdio[4];
  let nextId = 1;
  const pending = new Map();
  const listeners = [];
  let buf = Buffer.alloc(0);
  fromBrowser.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    let i;
    while ((i = buf.indexOf(0)) >= 0) {
      const msg = JSON.parse(buf.subarray(0, i).toString("utf8"));
      buf = buf.subarray(i + 1);
      if (msg.id && pending.has(msg.id)) {
        const { resolve, reject, method } = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
        else resolve(msg.result);
      } else if (msg.method) {
        for (const l of listeners) l(msg);
      }
    }
  });
  proc.on("exit", (code) => {
    for (const { reject } of pending.values()) {
      reject(new Error(`chromium exited (${code}): ${stderr.slice(-2000)}`));
    }
  });
  const send = (method, params = {}, sessionId) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, method });
      const msg = { id, method, params };
      if (sessionId) msg.sessionId = sessionId;
      toBrowser.write(JSON.stringify(msg) + "\0");
    });
  return { send, on: (f) => listeners.push(f), proc };
}

// ---- a tab that records what its page does -------------------------------
// tab.consoleErrors, tab.requests (every URL requested) and
// tab.failedRequests are emptied by tab.visit(url) before it loads the page.
export async function openTab(browser, { width = 1280, height = 1000 } = {}) {
  const { targetId } = await browser.send("Target.createTarget", {
    url: "about:blank",
  });
  const { sessionId } = await browser.send("Target.attachToTarget", {
    targetId,
    flatten: true,
  });
  const page = (method, params) => browser.send(method, params, sessionId);
  const tab = { page, consoleErrors: [], requests: [], failedRequests: [] };

  let loaded = null;
  browser.on((msg) => {
    if (msg.sessionId !== sessionId) return;
    const p = msg.params;
    switch (msg.method) {
      case "Runtime.consoleAPICalled":
        if (p.type === "error" || p.type === "assert") {
          tab.consoleErrors.push(
            p.args.map((a) => a.value ?? a.description).join(" "),
          );
        }
        break;
      case "Runtime.exceptionThrown":
        tab.consoleErrors.push(
          p.exceptionDetails.exception?.description ?? p.exceptionDetails.text,
        );
        break;
      case "Log.entryAdded":
        if (p.entry.level === "error") {
          tab.consoleErrors.push(`${p.entry.text} ${p.entry.url ?? ""}`);
        }
        break;
      case "Network.requestWillBeSent":
        tab.requests.push(p.request.url);
        break;
      case "Network.loadingFailed":
        if (!p.canceled) {
          tab.failedRequests.push(`${p.errorText} (${p.requestId})`);
        }
        break;
      case "Page.loadEventFired":
        if (loaded) loaded();
        break;
    }
  });
  await page("Page.enable");
  await page("Runtime.enable");
  await page("Network.enable");
  await page("Log.enable");
  await page("Emulation.setDeviceMetricsOverride", {
    width,
    height,
    deviceScaleFactor: 1,
    mobile: false,
  });

  tab.navigate = async (url) => {
    const done = new Promise((resolve, reject) => {
      loaded = resolve;
      setTimeout(() => reject(new Error(`no load event in 30s: ${url}`)), 30000);
    });
    await page("Page.navigate", { url });
    await done;
    loaded = null;
  };
  tab.visit = async (url) => {
    // Leave the previous page first, so none of its late messages are
    // counted against this one.
    await tab.navigate("about:blank");
    await sleep(50);
    tab.consoleErrors = [];
    tab.requests = [];
    tab.failedRequests = [];
    await tab.navigate(url);
    await sleep(150); // let scripts that run on load finish
  };
  tab.evaluate = async (expr) => {
    const r = await page("Runtime.evaluate", {
      expression: expr,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r.exceptionDetails) {
      throw new Error(`evaluate: ${r.exceptionDetails.text}`);
    }
    return r.result.value;
  };
  tab.screenshot = async (file) => {
    const shot = await page("Page.captureScreenshot", { format: "png" });
    fs.writeFileSync(file, Buffer.from(shot.data, "base64"));
    return fs.statSync(file).size;
  };
  return tab;
}
