#!/usr/bin/env bash
# Cold start, measured (issue 17): what a new student waits for before the
# first failure message, with nothing built.
#
#   scripts/cold-start.sh                      # this repository at HEAD, every step
#   scripts/cold-start.sh --topic lstm-gru     # only (a) and (b) for one topic
#   scripts/cold-start.sh --repo URL --commit REV --timings DIR
#
# It clones the repository (default: the one this script is in, at HEAD) into
# a temporary folder, writes the student release there with
# `cargo course student --out DIR`, and times, each with an EMPTY target
# directory of its own:
#   (a) `cargo course progress` in the student tree (builds the course CLI);
#   (b) then `cargo test -p <topic> --test graded --no-run` for each topic,
#       lstm-gru first (the student's case), then the others in course order,
#       in the same target directory as (a);
#   (c) `cargo test --workspace --no-run` (`--run`: the whole
#       `cargo test --workspace`, the README's command, tests included) on
#       the instructors' tree, in a target directory of its own.
# and prints a markdown table: wall time, CPU time (user + system, less
# sensitive to other load than wall time) and the number of units cargo
# built (new entries in the target directory's `.fingerprint/`: each crate
# compiled, each build script compiled and each one run; a count that does
# not depend on the machine's load). The machine's load (`uptime`) is
# printed beside it.
#
# Options:
#   --repo PATH|URL   what to clone (default: this script's repository)
#   --commit REV      what to check out (default: HEAD)
#   --topic T         only (a) and (b) for topic T
#   --run             (c) runs the tests too, not only builds them
#   --no-workspace    skip (c)
#   --timings DIR     pass --timings to every cargo command and copy the
#                     HTML reports (one per step) into DIR
#   --keep            keep the temporary folder (printed at the end)
#   --tool-target DIR target directory for the (unmeasured) build of the
#                     course CLI that writes the student release (default:
#                     a fresh one inside the temporary folder; give a warm
#                     one to save that build)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
repo=$here
commit=HEAD
only=""
run_tests=0
workspace=1
timings=""
keep=0
tool_target=""
topics=(lstm-gru fc-and-conv pooling vanilla-rnn-bptt attention transformer)

while [ $# -gt 0 ]; do
  case "$1" in
    --repo) repo=$2; shift 2 ;;
    --commit) commit=$2; shift 2 ;;
    --topic) only=$2; shift 2 ;;
    --run) run_tests=1; shift ;;
    --no-workspace) workspace=0; shift ;;
    --timings) timings=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --keep) keep=1; shift ;;
    --tool-target) tool_target=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "cold-start: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$only" ]; then
  topics=("$only")
  workspace=0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cold-start.XXXXXX")
cleanup() { if [ "$keep" = 0 ]; then rm -rf "$work"; else echo "kept $work" >&2; fi; }
trap cleanup EXIT

echo "cold-start: cloning $repo at $commit into $work" >&2
git clone --quiet "$repo" "$work/src"
git -C "$work/src" checkout --quiet --detach "$commit"
rev=$(git -C "$work/src" rev-parse --short HEAD)

# The student release (not measured: an instructor's step).
echo "cold-start: writing the student release" >&2
(
  cd "$work/src"
  export CARGO_TARGET_DIR=${tool_target:-$work/tool-target}
  cargo course student --out "$work/student" >&2
)
# The student works in a repository of their own (the class repository).
git -C "$work/student" init --quiet
git -C "$work/student" add -A
git -C "$work/student" -c user.name=cold-start -c user.email=cold-start@localhost \
  commit --quiet -m "student release"

rows=()
first_wall=0
# units_in TARGET_DIR: the units cargo has built there.
units_in() {
  if [ -d "$1/debug/.fingerprint" ]; then ls "$1/debug/.fingerprint" | wc -l; else echo 0; fi
}

# measure LABEL DIR TARGET_DIR COMMAND…: one row of the table.
measure() {
  local label=$1 dir=$2 target=$3
  shift 3
  local extra=()
  [ -n "$timings" ] && extra=(--timings)
  local log="$work/log.$((${#rows[@]} + 1))"
  echo "cold-start: $label: $*" >&2
  local t0 t1 rc=0 before
  before=$(units_in "$target")
  t0=$(date +%s.%N)
  ( cd "$dir" && CARGO_TARGET_DIR=$target CARGO_TERM_COLOR=never \
      /usr/bin/time -f "%U %S" -o "$log.cpu" "$1" "$2" "${extra[@]}" "${@:3}" ) \
    >"$log.out" 2>"$log.err" || rc=$?
  t1=$(date +%s.%N)
  if [ "$rc" != 0 ] && ! { [ "$label" = "(a)" ] || [ "$run_tests" = 1 ]; }; then
    tail -30 "$log.err" >&2
    echo "cold-start: $label failed ($rc)" >&2
    exit 1
  fi
  local wall cpu units
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
  cpu=$(awk 'END { printf "%.0f", $1 + $2 }' "$log.cpu")
  units=$(( $(units_in "$target") - before ))
  case "$label" in "(a)"|"(b) ${topics[0]}") first_wall=$((first_wall + wall)) ;; esac
  rows+=("| $label | \`$*\` | $wall | $cpu | $units |")
  if [ -n "$timings" ]; then
    local report
    report=$(ls -t "$target"/cargo-timings/cargo-timing-2*.html 2>/dev/null | head -1 || true)
    [ -n "$report" ] && cp "$report" "$timings/$(echo "${#rows[@]}-$label-$*" \
      | tr -c 'A-Za-z0-9_.-' '_' | cut -c1-80).html"
  fi
}

load_before=$(uptime | sed 's/.*load average/load average/')
student_target="$work/target-student"
# With --timings, (a) is the `cargo course` alias spelled out, so that the
# flag goes to cargo, not to the course CLI.
if [ -n "$timings" ]; then
  measure "(a)" "$work/student" "$student_target" cargo run --quiet -p course -- progress
else
  measure "(a)" "$work/student" "$student_target" cargo course progress
fi
first_progress=$(cat "$work/log.1.out" "$work/log.1.err" | grep -v '^ *Compiling\|^ *Finished\|^ *Running' || true)
for t in "${topics[@]}"; do
  measure "(b) $t" "$work/student" "$student_target" cargo test -p "$t" --test graded --no-run
done
if [ "$workspace" = 1 ]; then
  if [ "$run_tests" = 1 ]; then
    measure "(c)" "$work/src" "$work/target-instructors" cargo test --workspace
  else
    measure "(c)" "$work/src" "$work/target-instructors" cargo test --workspace --no-run
  fi
fi
load_after=$(uptime | sed 's/.*load average/load average/')

echo
echo "Cold start of \`$rev\` ($(date -u +%Y-%m-%d), $(nproc) cores; $load_before before, $load_after after):"
echo
echo "| step | command | wall s | CPU s | units built |"
echo "|---|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "(a) + (b) ${topics[0]}: $first_wall s before the first test of ${topics[0]} can run."
echo
echo "What the first \`cargo course progress\` printed after its table:"
echo
echo '```text'
echo "$first_progress" | sed -n '/exercises done/,$p'
echo '```'
