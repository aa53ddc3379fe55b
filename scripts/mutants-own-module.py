#!/usr/bin/env python3
"""Is each caught mutant caught by its own exercise's graded tests?

    scripts/mutants-own-module.py [--exercises JSON] OUT
    scripts/mutants-own-module.py --self-test

OUT is the folder holding cargo-mutants' mutants.out/ (scripts/mutants.sh
runs this last). A mutant of an exercise function is caught "by its own
exercise" when at least one failing test is in the test module named after
that exercise (`mod lstm_step_backward`), so a wrong solution costs points
on the exercise itself, not only on a later one that calls it. Prints one
line per exercise and every mutant caught only by other exercises' tests;
exits 1 if there is one.

The exercise regions come from the course CLI, the one parser of them:
JSON is the output of `cargo course exercises --json` (default:
OUT/exercises.json, which scripts/mutants.sh writes; without it, the script
runs `cargo course exercises --json` in the workspace around it).
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_exercises(path, out):
    """(file, function) -> exercise id, from the course CLI's listing."""
    path = path or os.path.join(out, "exercises.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            regions = json.load(f)
    else:
        text = subprocess.run(
            ["cargo", "course", "exercises", "--json"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
        regions = json.loads(text)
    return {(r["file"], r["function"]): r["id"] for r in regions}


def report(exercise, out):
    """The per-exercise lines and the mutants caught only elsewhere."""
    folder = os.path.join(out, "mutants.out")
    with open(os.path.join(folder, "outcomes.json"), encoding="utf-8") as f:
        outcomes = json.load(f)
    count = collections.Counter()
    others = []
    for oc in outcomes["outcomes"]:
        if oc.get("summary") != "CaughtMutant":
            continue
        m = oc["scenario"]["Mutant"]
        fn = m["function"]["function_name"].split("::")[-1]
        eid = exercise.get((m["file"], fn), "?")
        with open(os.path.join(folder, oc["log_path"]), encoding="utf-8") as f:
            log = f.read()
        failing = set(re.findall(r"^---- (\S+) stdout ----", log, re.M))
        failing |= set(re.findall(r"^test (\S+) \.\.\. FAILED", log, re.M))
        modules = {t.split("::")[0] for t in failing}
        own = eid.replace("-", "_") in modules
        count[(eid, own)] += 1
        if not own:
            others.append(f"  {m['name']}: fails only {sorted(modules)}")
    lines = [
        f"{eid}: {count[(eid, True)]} caught by its own tests, "
        f"{count[(eid, False)]} only by other exercises' tests"
        for eid in sorted({e for e, _ in count})
    ]
    return lines, others


def self_test():
    """Runs report() on a made-up mutants.out: one mutant caught by its own
    module, one only by another exercise's."""
    with tempfile.TemporaryDirectory() as out:
        folder = os.path.join(out, "mutants.out")
        os.makedirs(os.path.join(folder, "log"))
        listing = [{"topic": "t", "id": "t-step", "file": "crates/t/src/a.rs",
                    "begin": 3, "end": 9, "function": "step",
                    "kind": "method"}]
        with open(os.path.join(out, "exercises.json"), "w") as f:
            json.dump(listing, f)
        outcomes = []
        for k, failing in enumerate(["t_step::a", "t_other::b"]):
            log = f"log/{k}.log"
            with open(os.path.join(folder, log), "w") as f:
                f.write(f"---- {failing} stdout ----\n")
            outcomes.append({
                "summary": "CaughtMutant", "log_path": log,
                "scenario": {"Mutant": {
                    "name": f"mutant {k}", "file": "crates/t/src/a.rs",
                    "function": {"function_name": "T::step"}}}})
        outcomes.append({"summary": "Success", "scenario": "Baseline"})
        with open(os.path.join(folder, "outcomes.json"), "w") as f:
            json.dump({"outcomes": outcomes}, f)
        lines, others = report(load_exercises(None, out), out)
    assert lines == ["t-step: 1 caught by its own tests, "
                     "1 only by other exercises' tests"], lines
    assert others == ["  mutant 1: fails only ['t_other']"], others
    print("self-test passed")


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("out", nargs="?", help="the folder holding mutants.out/")
    ap.add_argument("--exercises", metavar="JSON",
                    help="`cargo course exercises --json` output "
                         "(default: OUT/exercises.json)")
    ap.add_argument("--self-test", action="store_true",
                    help="check the script on a made-up mutants.out")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return 0
    if not args.out:
        ap.error("OUT is required")
    lines, others = report(load_exercises(args.exercises, args.out), args.out)
    for line in lines + others:
        print(line)
    return 1 if others else 0


if __name__ == "__main__":
    sys.exit(main())
