#!/usr/bin/env python3
"""Is each caught mutant caught by its own exercise's graded tests?

    scripts/mutants-own-module.py WORKSPACE OUT

WORKSPACE is the tree cargo-mutants ran in (scripts/mutants.sh's copy), OUT
the folder holding its mutants.out/. A mutant of an exercise function is
caught "by its own exercise" when at least one failing test is in the test
module named after that exercise (`mod lstm_step_backward`), so a wrong
solution costs points on the exercise itself, not only on a later one that
calls it. Prints one line per exercise and every mutant caught only by other
exercises' tests; exits 1 if there is one.
"""
import collections
import json
import os
import re
import sys

root, out = sys.argv[1], sys.argv[2]

# (file, function) -> exercise id, from the markers: the last `fn name`
# line above each `// BEGIN SOLUTION <id>` line
exercise = {}
for crate in sorted(os.listdir(os.path.join(root, "crates"))):
    src = os.path.join("crates", crate, "src")
    if not os.path.isdir(os.path.join(root, src)):
        continue
    for dirpath, _, files in os.walk(os.path.join(root, src)):
        for name in sorted(files):
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            fn = None
            for line in open(path, encoding="utf-8"):
                m = re.search(r"(?:^|[^a-z_])fn ([a-z_0-9]+)", line)
                if m:
                    fn = m.group(1)
                m = re.match(r"\s*// BEGIN SOLUTION (\S+)", line)
                if m:
                    exercise[(rel, fn)] = m.group(1)

outcomes = json.load(open(os.path.join(out, "mutants.out", "outcomes.json")))
count = collections.Counter()
others = []
for oc in outcomes["outcomes"]:
    if oc.get("summary") != "CaughtMutant":
        continue
    m = oc["scenario"]["Mutant"]
    fn = m["function"]["function_name"].split("::")[-1]
    eid = exercise.get((m["file"], fn), "?")
    log = open(os.path.join(out, "mutants.out", oc["log_path"])).read()
    failing = set(re.findall(r"^---- (\S+) stdout ----", log, re.M))
    failing |= set(re.findall(r"^test (\S+) \.\.\. FAILED", log, re.M))
    modules = {t.split("::")[0] for t in failing}
    own = eid.replace("-", "_") in modules
    count[(eid, own)] += 1
    if not own:
        others.append(f"  {m['name']}: fails only {sorted(modules)}")

for eid in sorted({e for e, _ in count}):
    print(
        f"{eid}: {count[(eid, True)]} caught by its own tests, "
        f"{count[(eid, False)]} only by other exercises' tests"
    )
print("\n".join(others))
sys.exit(1 if others else 0)
