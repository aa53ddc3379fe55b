#!/usr/bin/env node
// The class report (`cargo course grade-class`'s report.html) in a real
// browser: opens the file from disk (file:// URL) in Debian's headless
// Chromium (driven as by book.mjs, through cdp.mjs) with every http, https
// and WebSocket request blocked and all requests recorded, and checks:
//   * the page loads, with no console error and no uncaught exception;
//   * nothing is requested but the file itself (no http/https at all), and
//     no element refers to a URL (src, href), no script;
//   * the score table has a header row (student, one column an exercise,
//     total) and at least one student row, each with a cell per column;
//   * there is one bar chart per exercise column, in the same order, and each
//     chart's rows are the table column's scores with how many students have
//     each (so the counts add up to the class); every bar of a non-zero count
//     is drawn with a non-zero width, its share of the row that of the class;
//   * the list of submissions with problems names students of the table, and
//     its text says what went wrong (by default "timed out", "does not
//     compile" and "missing": the unit test's class has all three).
// A screenshot is saved beside the report (report.png).
//
// Usage (from the workspace root):
//   COURSE_CLASS_REPORT=target/class-report/report.html cargo test -q \
//     -p course --lib -- --exact \
//     class::tests::grades_a_class_of_six_with_timeouts_and_tampering
//   node tests/browser/class-report.mjs target/class-report/report.html
//        [--problems "timed out,does not compile,missing"]
// Prints one line per check and ends with "N passed, N failed".

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { check, openTab, run, setDeadline, startChromium } from "./cdp.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const positional = args.filter(
  (a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1].startsWith("--")),
);
const report = path.resolve(positional[0] ?? "target/class-report/report.html");
const problemWords = opt("--problems", "timed out,does not compile,missing")
  .split(",")
  .map((w) => w.trim())
  .filter((w) => w);
const chromiumBin = opt("--chromium", process.env.CHROMIUM || "chromium");
const shotFile = report.replace(/\.html?$/, "") + ".png";

setDeadline(3, "the class-report test");

// What the page shows, read from the DOM class.rs writes: a <table> whose
// first row is <th>student</th><th>ID (POINTS)</th>…<th>total</th>; a
// <ul> after <h2>Submissions with problems</h2> with
// <li><strong>NAME</strong>: reasons</li>; per exercise an
// <h3>ID (POINTS points)</h3> and a <div class="chart"> of
// <div class="row"><span class="label">S.SS pts</span>
// <span class="track"><span class="bar" style="width:W%"></span></span>
// <span class="count">C</span>: a bar's width is its share of the track.
const inspect = `(() => {
  const text = (e) => (e ? e.textContent.trim() : null);
  const table = document.querySelector('table');
  const rows = table ? [...table.querySelectorAll('tr')] : [];
  const header = rows.length ? [...rows[0].querySelectorAll('th')].map(text) : [];
  const body = rows.slice(1).map((r) => [...r.querySelectorAll('td')].map(text));
  const charts = [...document.querySelectorAll('div.chart')].map((c) => {
    let h = c.previousElementSibling;
    while (h && h.tagName !== 'H3') h = h.previousElementSibling;
    return {
      heading: text(h),
      rows: [...c.querySelectorAll('.row')].map((r) => {
        const bar = r.querySelector('.bar');
        const box = bar ? bar.getBoundingClientRect() : null;
        return {
          label: text(r.querySelector('.label')),
          count: Number(text(r.querySelector('.count'))),
          width: box ? box.width : -1,
          rowWidth: r.querySelector('.track').getBoundingClientRect().width,
          height: box ? box.height : -1,
          color: bar ? getComputedStyle(bar).backgroundColor : null,
        };
      }),
    };
  });
  const h2 = [...document.querySelectorAll('h2')].find((h) =>
    /problems/i.test(h.textContent));
  let list = h2 ? h2.nextElementSibling : null;
  if (list && list.tagName !== 'UL') list = null;
  const problems = list ? [...list.querySelectorAll('li')].map((li) => ({
    name: text(li.querySelector('strong')), text: text(li) })) : [];
  const urls = [...document.querySelectorAll('[src], [href], link, iframe, object, embed')]
    .map((e) => e.getAttribute('src') || e.getAttribute('href') || e.tagName);
  return {
    title: document.title,
    h1: text(document.querySelector('h1')),
    header, body, charts, problems, urls,
    scripts: document.scripts.length,
    bodyText: document.body.innerText,
  };
})()`;

async function main() {
  check(fs.existsSync(report), `the report exists: ${report}`);
  if (!fs.existsSync(report)) return;
  const url = pathToFileURL(report).href;
  const browser = startChromium(chromiumBin);
  const version = await browser.send("Browser.getVersion");
  console.log(`# ${version.product}`);
  const tab = await openTab(browser, { width: 1280, height: 1000 });
  // Offline: whatever the page would fetch from a network fails (and is
  // still recorded by Network.requestWillBeSent).
  await tab.page("Network.setBlockedURLs", {
    urls: ["http://*", "https://*", "ws://*", "wss://*"],
  });
  await tab.visit(url);
  const r = await tab.evaluate(inspect);

  check(r.title === "Class report" && r.h1 === "Class report",
    "the report loads (title and heading \"Class report\")",
    `title ${JSON.stringify(r.title)}, heading ${JSON.stringify(r.h1)}`);
  check(tab.consoleErrors.length === 0, "no console error",
    tab.consoleErrors.join(" | "));
  const others = tab.requests.filter((u) => u !== url);
  check(others.length === 0, "nothing is requested but the file itself",
    others.join(", "));
  const network = tab.requests.filter((u) => /^(https?|wss?):/i.test(u));
  check(network.length === 0, "no http/https request at all",
    network.join(", "));
  check(tab.failedRequests.length === 0, "no failed request",
    tab.failedRequests.join(", "));
  check(r.urls.length === 0 && r.scripts === 0,
    "no element refers to a URL, no script",
    `${r.urls.join(", ") || "no URL"}; ${r.scripts} script(s)`);

  // The score table.
  const exercises = r.header.slice(1, -1);
  check(r.header[0] === "student" && r.header.at(-1) === "total" &&
      exercises.length >= 1,
    `the score table has a column per exercise (${exercises.length})`,
    `header: ${r.header.join(" | ") || "no table"}`);
  const bad = r.body.filter((row) => row.length !== r.header.length);
  check(r.body.length >= 1 && bad.length === 0,
    `the score table has a row per student (${r.body.length}), a cell per column`,
    `${r.body.length} rows, ${bad.length} of the wrong length`);

  // One chart per exercise, in the order of the columns, agreeing with them.
  const ids = exercises.map((h) => h.replace(/\s*\(\d+\)$/, ""));
  const headings = r.charts.map((c) => (c.heading ?? "").split(" ")[0]);
  check(r.charts.length === exercises.length &&
      ids.every((id, i) => headings[i] === id),
    `one bar chart per exercise (${r.charts.length})`,
    `columns ${ids.join(", ")}; charts ${headings.join(", ") || "none"}`);
  r.charts.forEach((c, i) => {
    const id = headings[i];
    const col = ids.indexOf(id) + 1;
    const want = new Map();
    if (col > 0) {
      for (const row of r.body) {
        want.set(row[col], (want.get(row[col]) ?? 0) + 1);
      }
    }
    const got = new Map(c.rows.map((b) => [b.label.replace(/ pts$/, ""), b.count]));
    const same = want.size === got.size &&
      [...want].every(([score, n]) => got.get(score) === n);
    const fmt = (m) => [...m].map(([s, n]) => `${s}×${n}`).join(" ");
    check(c.rows.length >= 1 && same,
      `chart ${id}: a bar per score of its column, with how many students`,
      `table ${fmt(want)}; chart ${fmt(got)}`);
    const drawn = c.rows.filter((b) => b.count > 0);
    const invisible = drawn.filter((b) => !(b.width > 0 && b.height > 0));
    check(drawn.length >= 1 && invisible.length === 0,
      `chart ${id}: every bar of a non-zero count is drawn (${drawn.length})`,
      invisible.map((b) => `${b.label}: ${b.width}x${b.height}`).join(", "));
    // class.rs sets each bar's width to its share of the class in whole
    // percent of the row: the drawn share is within half a percent of it.
    const off = drawn.filter((b) =>
      Math.abs((100 * b.width) / b.rowWidth - (100 * b.count) / r.body.length) > 0.6);
    check(drawn.length >= 1 && off.length === 0,
      `chart ${id}: each bar's width is its share of the class`,
      c.rows.map((b) => `${b.label}: ${b.count}/${r.body.length} → ` +
        `${((100 * b.width) / b.rowWidth).toFixed(1)} %`).join(", "));
  });

  // The submissions with problems, named.
  const names = new Set(r.body.map((row) => row[0]));
  const strangers = r.problems.filter((p) => !names.has(p.name));
  check(r.problems.length >= 1 && strangers.length === 0,
    `the submissions with problems are named (${r.problems.map((p) => p.name).join(", ")})`,
    strangers.length ? `not in the table: ${strangers.map((p) => p.name)}`
      : "no list of submissions with problems");
  for (const w of problemWords) {
    const who = r.problems.filter((p) => p.text.includes(w)).map((p) => p.name);
    check(who.length >= 1, `the report says which submission "${w}" (${who.join(", ")})`);
  }

  const size = await tab.screenshot(shotFile);
  check(size > 5000, `screenshot saved to ${path.relative(process.cwd(), shotFile)}`,
    `${size} bytes`);
  await browser.send("Browser.close").catch(() => {});
}

run(main, "the class-report test");
