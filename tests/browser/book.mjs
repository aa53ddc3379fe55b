#!/usr/bin/env node
// End-to-end test of the built book in a real browser.
//
// Serves a built edition with `course book --serve --no-build --port 0`
// (the same server readers use) and drives Debian's headless Chromium over
// the DevTools protocol on a pipe (--remote-debugging-pipe: no WebSocket, no
// npm package, no browser download; the driving is in cdp.mjs). For every
// page of SUMMARY.md it checks:
//   * the page loads, with no console error and no uncaught exception;
//   * no request goes to a host other than 127.0.0.1 / localhost;
//   * a page whose source has math shows MathML elements that the browser
//     parsed as MathML and laid out with a non-zero size, and no page shows
//     LaTeX source ($$ or \command) outside code;
//   * every image (figure) loads with a non-zero size.
// Then search finds a term from a late chapter, and a screenshot of the
// page with the most formulas is saved as a test artifact.
//
// Usage (from the workspace root, after `cargo course book`):
//   node tests/browser/book.mjs [--student] [--course target/debug/course]
//        [--out target/browser-test] [--search "forget gate"]
//        [--expect lstm-gru/]
// Prints one line per check and ends with "N passed, N failed".

import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  check,
  children,
  openTab,
  run,
  setDeadline,
  sleep,
  startChromium,
} from "./cdp.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const student = args.includes("--student");
const root = process.cwd();
const course = opt("--course", path.join(root, "target/debug/course"));
const edition = student ? "student" : "instructors";
const out = opt("--out", path.join(root, "target/browser-test", edition));
const searchTerm = opt("--search", "forget gate");
const expectIn = opt("--expect", "lstm-gru/");
const chromiumBin = opt("--chromium", process.env.CHROMIUM || "chromium");
const srcDir = path.join(
  student ? path.join(root, "target/student-edition") : root,
  "book/src",
);
fs.mkdirSync(out, { recursive: true });

// The whole run is bounded: a hung browser must not hang CI.
setDeadline(8);

// ---- the pages to visit, and which of them have math, from the sources --
function pagesOf(summary) {
  const pages = [];
  for (const m of summary.matchAll(/\]\(([^)#\s]+\.md)\)/g)) {
    if (!pages.includes(m[1])) pages.push(m[1]);
  }
  return pages;
}
function hasMath(md) {
  const prose = md
    .replace(/```[\s\S]*?```/g, "")
    .replace(/`[^`\n]*`/g, "");
  return /\$\$[\s\S]+?\$\$/.test(prose) || /\$[^\s$][^$\n]*\$/.test(prose);
}
const summary = fs.readFileSync(path.join(srcDir, "SUMMARY.md"), "utf8");
const pages = pagesOf(summary).map((md) => {
  let text = "";
  try {
    text = fs.readFileSync(path.join(srcDir, md), "utf8");
  } catch {}
  return { md, html: md.replace(/\.md$/, ".html"), math: hasMath(text) };
});

// ---- the server -------------------------------------------------------
function startServer() {
  return new Promise((resolve, reject) => {
    const argv = ["book", "--serve", "--no-build", "--port", "0"];
    if (student) argv.push("--student");
    const srv = spawn(course, argv, { stdio: ["ignore", "pipe", "inherit"] });
    children.push(srv);
    let buf = "";
    srv.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(/serving (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) resolve(m[1]);
    });
    srv.on("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
}

async function main() {
  const base = await startServer();
  console.log(`# serving the ${edition} edition at ${base}`);
  const browser = startChromium(chromiumBin);
  const version = await browser.send("Browser.getVersion");
  console.log(`# ${version.product}`);
  const tab = await openTab(browser, { width: 1280, height: 1000 });
  const { page, visit, evaluate } = tab;
  const nonLocal = (u) => {
    try {
      const url = new URL(u);
      if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol)) return false;
      return !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    } catch {
      return false;
    }
  };

  const inspect = `(() => {
    const main = document.querySelector('main') || document.body;
    const maths = [...main.querySelectorAll('math')];
    const parsed = maths.filter((m) => m instanceof MathMLElement);
    const sized = parsed.filter((m) => {
      const r = m.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    });
    const clone = main.cloneNode(true);
    clone.querySelectorAll('pre, code, math, script, style').forEach((e) => e.remove());
    const text = clone.textContent;
    const latex = text.match(/\\$\\$|\\\\(frac|sum|partial|mathbf|begin|odot|sigma|tanh|left|right|top)\\b/);
    const imgs = [...main.querySelectorAll('img')].map((i) => ({
      src: i.getAttribute('src'),
      ok: i.complete && i.naturalWidth > 0 && i.naturalHeight > 0,
      w: i.naturalWidth, h: i.naturalHeight,
    }));
    const h1 = main.querySelector('h1');
    return { title: document.title, maths: maths.length, parsed: parsed.length,
             sized: sized.length, latex: latex ? latex[0] : null, imgs,
             heading: h1 ? h1.textContent : null,
             chars: main.textContent.length };
  })()`;

  let best = null;
  for (const p of pages) {
    const url = base + p.html;
    try {
      await visit(url);
    } catch (e) {
      check(false, `${p.html} loads`, e.message);
      continue;
    }
    const r = await evaluate(inspect);
    check(r.heading !== null && r.chars > 40, `${p.html} loads with content`,
      `heading ${r.heading}, ${r.chars} characters`);
    check(tab.consoleErrors.length === 0, `${p.html} has no console error`,
      tab.consoleErrors.join(" | "));
    const outside = tab.requests.filter(nonLocal);
    check(outside.length === 0, `${p.html} requests nothing from another host`,
      outside.join(", "));
    check(tab.failedRequests.length === 0, `${p.html} has no failed request`,
      tab.failedRequests.join(", "));
    if (p.math) {
      check(r.maths > 0 && r.parsed === r.maths && r.sized === r.maths,
        `${p.html} renders its formulas as MathML (${r.maths})`,
        `${r.maths} <math>, ${r.parsed} parsed as MathML, ${r.sized} with a size`);
    }
    check(r.latex === null, `${p.html} shows no LaTeX source`, `found ${r.latex}`);
    for (const img of r.imgs) {
      check(img.ok, `${p.html}: figure ${img.src} loads (${img.w}x${img.h})`);
    }
    if (p.math && (!best || r.maths > best.maths)) {
      best = { url, html: p.html, maths: r.maths };
    }
  }

  // Search: the term from a late chapter is found, with a link into it.
  {
    const url = `${base}index.html?search=${encodeURIComponent(searchTerm)}`;
    await visit(url);
    let hits = [];
    for (let i = 0; i < 50 && hits.length === 0; i++) {
      await sleep(100);
      hits = await evaluate(`[...document.querySelectorAll(
        '#mdbook-searchresults li a')].map((a) => a.getAttribute('href'))`);
    }
    check(hits.some((h) => h.includes(expectIn)),
      `search for "${searchTerm}" finds a page in ${expectIn}`,
      `results: ${hits.slice(0, 8).join(", ") || "none"}`);
    check(tab.consoleErrors.length === 0, "search has no console error",
      tab.consoleErrors.join(" | "));
    check(tab.requests.filter(nonLocal).length === 0,
      "search requests nothing from another host");
  }

  // A screenshot of the derivation page with the most formulas.
  if (best) {
    await visit(best.url);
    // Scroll the first displayed equation near the top, so the picture
    // shows a derivation and not only the page's heading.
    await evaluate(`(() => {
      const m = document.querySelector('main math[display="block"]');
      if (m) { m.scrollIntoView({ block: 'start' }); window.scrollBy(0, -220); }
    })()`);
    await sleep(100);
    const shot = await page("Page.captureScreenshot", { format: "png" });
    const file = path.join(out, "derivation.png");
    fs.writeFileSync(file, Buffer.from(shot.data, "base64"));
    const size = fs.statSync(file).size;
    check(size > 20000, `screenshot of ${best.html} saved to ${path.relative(root, file)}`,
      `${size} bytes`);
  } else {
    check(false, "a page with formulas to take a screenshot of");
  }
  await browser.send("Browser.close").catch(() => {});
}

run(main, "the browser test");
