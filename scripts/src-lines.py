#!/usr/bin/env python3
"""Lines of `src` per crate: code lines (no blank lines, no comments or doc
comments, no `#[cfg(test)]` modules), the total of every line, and that
total without the speed path (the `fast*.rs` modules, CONTRIBUTING.md).

    python3 scripts/src-lines.py            # the working tree
    python3 scripts/src-lines.py --rev REV  # a commit (git show)

CONTRIBUTING.md quotes its table: topic crates should stay readable in an
evening (about 1,800 lines of src at most)."""
import argparse, pathlib, subprocess, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def files(rev):
    if rev is None:
        return {str(p.relative_to(ROOT)): p.read_text()
                for p in sorted(ROOT.glob("crates/*/src/**/*.rs"))}
    names = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", rev,
         "crates"], check=True, capture_output=True, text=True).stdout.split()
    return {n: subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{n}"],
                              check=True, capture_output=True,
                              text=True).stdout
            for n in names if "/src/" in n and n.endswith(".rs")}


def code_lines(text):
    """Lines that are neither blank, comments nor inside a test module."""
    count, lines, i = 0, text.splitlines(), 0
    while i < len(lines):
        s = lines[i].strip()
        if s == "#[cfg(test)]":
            # skip the item that follows, by brace depth
            depth, opened = 0, False
            i += 1
            while i < len(lines):
                if not opened and "{" not in lines[i] and ";" in lines[i]:
                    i += 1
                    break  # `#[cfg(test)] mod tests;`
                depth += lines[i].count("{") - lines[i].count("}")
                opened = opened or "{" in lines[i]
                i += 1
                if opened and depth <= 0:
                    break
            continue
        if s and not s.startswith("//"):
            count += 1
        i += 1
    return count


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", help="a git revision instead of the work tree")
    args = ap.parse_args()
    per = {}
    for name, text in files(args.rev).items():
        crate = name.split("/")[1]
        c, t, f = per.get(crate, (0, 0, 0))
        n = len(text.splitlines())
        fast = n if name.split("/")[-1].startswith("fast") else 0
        per[crate] = (c + code_lines(text), t + n, f + fast)
    print("crate\tcode\ttotal\twithout fast*")
    for crate, (c, t, f) in sorted(per.items()):
        print(f"{crate}\t{c}\t{t}\t{t - f}")


if __name__ == "__main__":
    sys.exit(main())
