#!/bin/sh
# Hand-made wrong solutions for the recurrent cells. cargo-mutants rewrites
# operators (`+`, `*`, `+=`, comparisons) but not method calls, and the
# LSTM/GRU/RNN reference code is mostly method calls (`component_mul`,
# `zip_map`, `tr_mul`, `rows`), so the mistakes students really make there
# (a forgotten tanh' factor, a missing f ⊙ dc term, gates in the wrong order)
# are not among its mutants. This script applies each such mistake to the
# reference code, one at a time, in a copy of the workspace, and checks that
# the topic's graded tests then FAIL (caught) while the mistake still
# COMPILES (otherwise it tells nothing: reported as "did not compile").
# A mistake the tests pass is reported as MISSED.
#
#   scripts/hand-mutants.sh [SCRATCH]
#
# SCRATCH defaults to target/mutants/hand-ws; CARGO_TARGET_DIR defaults to
# SCRATCH/target. Each mistake is a Perl substitution of an exact line of
# the reference; if the reference changes so that a pattern no longer
# matches, that mistake is reported as "NOT APPLIED" (update the list below)
# and the script exits non-zero. DRY=1 only checks that every pattern applies. See book/src/appendix/instructors.md.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
scratch=${1:-$root/target/mutants/hand-ws}
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
(cd "$root" && tar --exclude=./target --exclude=./.git -cf - .) |
    (cd "$scratch" && tar -xf -)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$scratch/target}
cd "$scratch"

caught=0 missed=0 unviable=0 notapplied=0 applied=0

# mutant CRATE FILE DESCRIPTION PERL-SUBSTITUTION
mutant() {
    crate=$1 file=crates/$1/src/$2 what=$3 subst=$4
    cp "$file" "$file.orig"
    perl -0pi -e "$subst" "$file"
    if cmp -s "$file" "$file.orig"; then
        echo "NOT APPLIED  $crate: $what"
        notapplied=$((notapplied + 1))
    elif [ -n "${DRY:-}" ]; then
        echo "applies  $crate: $what"
        applied=$((applied + 1))
    elif ! nice -n 10 cargo test -q -p "$crate" --test graded --no-run \
        >/dev/null 2>&1; then
        echo "did not compile  $crate: $what"
        unviable=$((unviable + 1))
    elif nice -n 10 cargo test -q -p "$crate" --test graded \
        >"$scratch/hand-last.log" 2>&1; then
        echo "MISSED  $crate: $what"
        missed=$((missed + 1))
    else
        failing=$(sed -n 's/^---- \([^ ]*\) stdout ----$/\1/p' \
            "$scratch/hand-last.log")
        mods=$(echo "$failing" | sed 's/::.*//' | sort -u | paste -sd, -)
        echo "caught  $crate: $what" \
            "($(echo "$failing" | grep -c .) graded tests fail, in $mods)"
        caught=$((caught + 1))
    fi
    mv "$file.orig" "$file"
}

# ---- lstm-gru: the LSTM (lstm.rs) ------------------------------------------
mutant lstm-gru lstm.rs "forward: i and f gates read in swapped order" \
    's/let i = sigmoid\(&a\.rows\(0, n\)/let i = sigmoid(&a.rows(n, n)/;
     s/let f = sigmoid\(&a\.rows\(n, n\)/let f = sigmoid(&a.rows(0, n)/'
mutant lstm-gru lstm.rs "forward: h = o ⊙ c (tanh of c forgotten)" \
    's/let h = o\.component_mul\(&tanh_c\);/let h = o.component_mul(&c);/'
mutant lstm-gru lstm.rs "backward: d_c from the next step dropped (no carry)" \
    's/&d_next\.d_c \+ d_tanh_c\.component_mul/d_tanh_c.component_mul/'
mutant lstm-gru lstm.rs "backward: tanh'(c) factor forgotten" \
    's/d_tanh_c\.component_mul\(&tanh_c\.map\(\|t\| 1\.0 - t \* t\)\)/d_tanh_c.clone()/'
mutant lstm-gru lstm.rs "backward: d_c_prev = d_c (the f ⊙ factor forgotten)" \
    's/let d_c_prev = d_c\.component_mul\(f\);/let d_c_prev = d_c.clone();/'
mutant lstm-gru lstm.rs "backward: sign flip in the forget gate's σ'" \
    's/\.copy_from\(&d_f\.zip_map\(f, \|d, s\| d \* s \* \(1\.0 - s\)\)\)/.copy_from(\&d_f.zip_map(f, |d, s| d * s * (s - 1.0)))/'
mutant lstm-gru lstm.rs "backward: σ' used for the candidate g instead of tanh'" \
    's/\.copy_from\(&d_g\.zip_map\(g, \|d, t\| d \* \(1\.0 - t \* t\)\)\)/.copy_from(\&d_g.zip_map(g, |d, s| d * s * (1.0 - s)))/'
mutant lstm-gru lstm.rs "backward: gate gradients stacked in the wrong order (f and o swapped)" \
    's/\.copy_from\(&d_f\.zip_map\(f,/SWAPPED_GATE/;
     s/\.copy_from\(&d_o\.zip_map\(o,/.copy_from(\&d_f.zip_map(f,/;
     s/SWAPPED_GATE/.copy_from(\&d_o.zip_map(o,/'
mutant lstm-gru lstm.rs "backward: d_x and d_h_prev read from swapped rows of Wᵀ d_a" \
    's/let d_h_prev = d_hx\.rows\(0, n\)\.into_owned\(\);/let d_h_prev = d_hx.rows(hx.nrows() - n, n).into_owned();/;
     s/let d_x = d_hx\.rows\(n, hx\.nrows\(\) - n\)\.into_owned\(\);/let d_x = d_hx.rows(0, hx.nrows() - n).into_owned();/'
mutant lstm-gru lstm.rs "through time: d_hs[t] from the loss not added" \
    's/d_state\.d_h \+= &d_hs\[t\];/d_state.d_h += \&d_hs[t] * 0.0;/'
mutant lstm-gru lstm.rs "through time: only d_h carried back, d_c reset each step" \
    's/d_state = d_prev;/d_state = LstmStateGrads { d_c: d_prev.d_c * 0.0, ..d_prev };/'

# ---- lstm-gru: the GRU (gru.rs) ---------------------------------------------
mutant lstm-gru gru.rs "forward: h = (1 − z) ⊙ h̃ + z ⊙ h_prev (roles of z swapped)" \
    's/let h = z\.component_mul\(&h_tilde\)\s*\+ z\.map\(\|z\| 1\.0 - z\)\.component_mul\(h_prev\);/let h = z.map(|z| 1.0 - z).component_mul(\&h_tilde) + z.component_mul(h_prev);/'
mutant lstm-gru gru.rs "backward: sign flip in d_z (h_prev − h̃)" \
    's/let d_z = d_h\.component_mul\(&\(h_tilde - h_prev\)\);/let d_z = d_h.component_mul(\&(h_prev - h_tilde));/'
mutant lstm-gru gru.rs "backward: direct path (1 − z) ⊙ d_h into h_prev forgotten" \
    's/let mut d_h_prev = d_h\.component_mul\(&z\.map\(\|z\| 1\.0 - z\)\);/let mut d_h_prev = d_h * 0.0;/'
mutant lstm-gru gru.rs "backward: tanh' of the candidate forgotten" \
    's/let d_ah = d_h_tilde\.zip_map\(h_tilde, \|d, t\| d \* \(1\.0 - t \* t\)\);/let d_ah = d_h_tilde.clone();/'
mutant lstm-gru gru.rs "backward: the r ⊙ path into h_prev forgotten" \
    's/d_h_prev \+= d_rh\.component_mul\(r\);/d_h_prev += d_rh.component_mul(r) * 0.0;/'
mutant lstm-gru gru.rs "backward: dW_hh uses h_prev instead of r ⊙ h_prev" \
    's/w_hh: &d_ah \* rh\.transpose\(\),/w_hh: \&d_ah * h_prev.transpose(),/'

# ---- vanilla-rnn-bptt (rnn.rs) ----------------------------------------------
mutant vanilla-rnn-bptt rnn.rs "step backward: tanh' factor forgotten" \
    's/let d_a = tanh_deriv\(&cache\.h\)\.component_mul\(&d_h\);/let d_a = d_h.clone();/'
mutant vanilla-rnn-bptt rnn.rs "step backward: message from step t+1 not added" \
    's/let d_h = d_h_next \+ self\.v\.tr_mul\(d_o\);/let d_h = d_h_next * 0.0 + self.v.tr_mul(d_o);/'
mutant vanilla-rnn-bptt rnn.rs "step backward: dW uses h^(t) instead of h^(t−1)" \
    's/w: &d_a \* cache\.h_prev\.transpose\(\),/w: \&d_a * cache.h.transpose(),/'
mutant vanilla-rnn-bptt rnn.rs "bptt: the recurrence through W dropped (no BPTT)" \
    's/d_h\[t\] \+= self\.w\.tr_mul\(&d_a_next\);/d_h[t] += self.w.tr_mul(\&d_a_next) * 0.0;/'
mutant vanilla-rnn-bptt rnn.rs "bptt: tanh' taken at the step t instead of t+1" \
    's/let d_a_next = tanh_deriv\(h\(t \+ 1\)\)/let d_a_next = tanh_deriv(h(t))/'
mutant vanilla-rnn-bptt rnn.rs "truncated: state not carried between chunks" \
    's/h = cache\.last_h\(\)\.clone\(\); \/\/ carry the value forward/h = h0.clone();/'

[ -n "${DRY:-}" ] && echo "hand-made mutants: $applied apply"
echo "hand-made mutants: $caught caught, $missed missed," \
    "$unviable did not compile, $notapplied not applied"
[ "$missed" -eq 0 ] && [ "$notapplied" -eq 0 ]
