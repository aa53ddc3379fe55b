#!/bin/sh
# Does the grader catch wrong solutions? Runs cargo-mutants over the
# exercise functions of one topic crate, judged by its graded tests only.
# See book/src/appendix/instructors.md ("Does the grader catch wrong
# solutions?").
#
#   scripts/mutants.sh TOPIC [SCRATCH]     e.g. scripts/mutants.sh lstm-gru
#   scripts/mutants.sh --list TOPIC        only print the --re and the mutants
#
# The exercise functions are the functions that end with an exercise
# region, as `cargo course exercises TOPIC` lists them (the course CLI is
# the one parser of regions). The mutants of those functions are selected
# with cargo-mutants' --re (matched against names like
# `crates/x/src/f.rs:12:5: replace * with + in Type::name`), file by file,
# so a function of the same name in another file is not included.
#
# cargo-mutants edits the sources (--in-place), so it runs in a copy of the
# workspace, SCRATCH (default: target/mutants/ws), never in the working tree;
# CARGO_TARGET_DIR defaults to SCRATCH/target (the first run builds every
# dependency there; later runs are incremental). Results land in
# SCRATCH/out-TOPIC/mutants.out (caught.txt, missed.txt, unviable.txt, ...).
# Needs `cargo install --locked cargo-mutants` (measured with 27.1.0).
set -eu

list=false
if [ "${1:-}" = "--list" ]; then list=true; shift; fi
topic=${1:?usage: scripts/mutants.sh [--list] TOPIC [SCRATCH]}
root=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$root/crates/$topic/src" ] || { echo "no crate crates/$topic" >&2; exit 2; }

# file:kind:function for each exercise region, kind "free" for a function
# at the top level of its file and "method" for one inside an impl; the JSON
# listing is kept for mutants-own-module.py. Listed in the working tree,
# before CARGO_TARGET_DIR points into the scratch copy.
listing=$(cd "$root" && cargo course exercises "$topic")
json=$(cd "$root" && cargo course exercises --json "$topic")
regions=$(printf '%s\n' "$listing" | awk -F'\t' 'NF { print $3 ":" $7 ":" $6 }')
[ -n "$regions" ] || { echo "crates/$topic has no exercise" >&2; exit 2; }

# per file: ^crates/t/src/f.rs:.*(in |replace )(a|b)( ->|$) for free
# functions, ^…(in |replace )Type::(c|d)( ->|$) for methods (so a method
# named like an exercise function of the same file is not included)
re=""
for f in $(echo "$regions" | cut -d: -f1 | sort -u); do
    for kind in free method; do
        names=$(echo "$regions" | grep "^$f:$kind:" | cut -d: -f3 | sort -u |
            paste -sd'|' -)
        [ -n "$names" ] || continue
        prefix=""
        [ $kind = method ] && prefix="[A-Za-z0-9_<>, ]+::"
        alt="^$f:.*(in |replace )$prefix($names)( ->|\$)"
        re="${re:+$re|}$alt"
    done
done

if $list; then
    echo "--re '$re'"
    cd "$root" && cargo mutants --list -p "$topic" \
        -f "crates/$topic/src/*.rs" --re "$re"
    exit 0
fi

scratch=${2:-$root/target/mutants/ws}
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
# a fresh copy of the sources (not target/, not .git)
(cd "$root" && tar --exclude=./target --exclude=./.git -cf - .) |
    (cd "$scratch" && tar -xmf -) # -m: fresh mtimes, so cargo rebuilds them
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$scratch/target}
out="$scratch/out-$topic"
rm -rf "$out" && mkdir -p "$out"
printf '%s\n' "$json" >"$out/exercises.json"
cd "$scratch"
# the unmutated tree must build and pass (cargo-mutants' own baseline is
# skipped: it would build every test target)
if ! nice -n 10 cargo test -q -p "$topic" --test graded >"$out/baseline.log" 2>&1
then
    echo "the graded tests of $topic fail without any mutant:" \
        "see $out/baseline.log" >&2
    exit 1
fi
# -C --test=graded builds only the graded test binary for each mutant;
# -- --test graded makes only the graded tests judge it.
nice -n 10 cargo mutants --in-place --baseline skip --timeout 90 \
    -p "$topic" -f "crates/$topic/src/*.rs" --re "$re" \
    -o "$out" -C --test=graded -- --test graded || true
# per function: caught / missed / unviable / timeout
for k in caught missed unviable timeout; do
    [ -s "$out/mutants.out/$k.txt" ] || continue
    sed -E 's/^.* in ([A-Za-z0-9_:<>]+)$/\1/;
        s/^.*: replace ([A-Za-z0-9_:<>]+) -> .*$/\1/' \
        "$out/mutants.out/$k.txt" | sort | uniq -c | sed "s/^/$k /"
done
echo "missed mutants: $out/mutants.out/missed.txt"
# is each caught mutant caught by its own exercise's test module?
if command -v python3 >/dev/null; then
    python3 "$root/scripts/mutants-own-module.py" \
        --exercises "$out/exercises.json" "$out" || true
fi
