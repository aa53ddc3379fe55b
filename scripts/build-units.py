#!/usr/bin/env python3
"""How many compilation units each cargo command of a sequence adds to those
the earlier commands built, and which of them are a package built again with
other features or dependencies: a load-independent measure of a cold build
(the instructors' appendix, "Cold start"). Nothing is compiled: it reads
cargo's unit graph (`--unit-graph`, unstable, so read on the stable toolchain
with RUSTC_BOOTSTRAP=1).

    python3 scripts/build-units.py . "build -p course --bins" \\
        "test -p lstm-gru --test graded --no-run" \\
        "test -p pooling --test graded --no-run"

(`cargo course progress` builds what `build -p course --bins` does; `cargo
run` cannot print a unit graph.) VERBOSE=1 lists every new unit.

A unit is identified by package, target, mode, features, profile (without
its name: `dev` and `test` share artifacts) and its dependencies' identities,
as cargo's own artifact hash is.
"""
import hashlib
import json
import os
import subprocess
import sys


def units(root, args):
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    out = subprocess.run(
        ["cargo", *args, "-Z", "unstable-options", "--unit-graph"],
        cwd=root, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(out.stderr)
    u = json.loads(out.stdout)["units"]
    ids = [None] * len(u)

    def ident(i):
        if ids[i] is None:
            x = u[i]
            profile = {k: v for k, v in x["profile"].items() if k != "name"}
            key = json.dumps([
                x["pkg_id"], x["target"]["name"], x["target"]["kind"],
                x["mode"], sorted(x["features"]), profile, x.get("platform"),
                sorted(ident(d["index"]) for d in x["dependencies"])])
            ids[i] = hashlib.sha1(key.encode()).hexdigest()
        return ids[i]

    return {ident(i): u[i] for i in range(len(u))}


def name(x):
    pid = x["pkg_id"]
    if "path+" in pid:  # a workspace package: its folder's name
        pkg = pid.split("#")[0].rsplit("/", 1)[-1]
    else:
        pkg = pid.split("#")[-1]
    return f'{pkg} {x["target"]["name"]} ({x["mode"]})'


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root = sys.argv[1]
    seen = {}
    for cmd in sys.argv[2:]:
        us = units(root, cmd.split())
        new = {k: v for k, v in us.items() if k not in seen}
        compiled = [v for v in new.values() if v["mode"] != "run-custom-build"]
        names_seen = {name(v) for v in seen.values()}
        again = sorted(name(v) for v in compiled if name(v) in names_seen)
        ours = [v for v in compiled if "path+" in v["pkg_id"]]
        print(f"cargo {cmd}: {len(us)} units, {len(compiled)} to compile "
              f"({len(ours)} of ours), {len(again)} of them built before "
              f"with other features or dependencies")
        for a in again:
            print("   again:", a)
        if os.environ.get("VERBOSE"):
            for v in sorted(name(v) for v in compiled):
                print("   new:", v)
        seen.update(new)


if __name__ == "__main__":
    main()
