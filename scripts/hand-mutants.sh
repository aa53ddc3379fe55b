#!/bin/sh
# Hand-made wrong solutions for the recurrent cells (and, since issue 17, the
# wrong solutions that used to earn points in attention and the transformer:
# see the sections at the end). cargo-mutants rewrites
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
#   DRY=1 scripts/hand-mutants.sh   only apply each mistake and show its diff
#
# SCRATCH defaults to target/mutants/hand-ws; CARGO_TARGET_DIR defaults to
# SCRATCH/target. See book/src/appendix/instructors.md.
#
# This file ships with the student version, so it quotes no solution code:
# each mistake is a Perl substitution applied only inside one exercise
# region (the lines between `// BEGIN SOLUTION <id>` and `// END SOLUTION`,
# whose file and line numbers `cargo course exercises` gives), and replaces a
# statement by a wrong one (`let d_c_prev = …;` by `let d_c_prev =
# d_c.clone();`) or adds a wrong term to it, matching the statement by its
# first words only. If the reference changes so that a substitution no
# longer applies, the mistake is reported as "NOT APPLIED" (update the list
# below) and the script exits non-zero.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
# topic, id, file, BEGIN line, END line, function, kind (one region a line),
# listed in the working tree before CARGO_TARGET_DIR points into the copy
regions=$(cd "$root" && cargo course exercises lstm-gru vanilla-rnn-bptt \
    attention transformer)
scratch=${1:-$root/target/mutants/hand-ws}
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
(cd "$root" && tar --exclude=./target --exclude=./.git -cf - .) |
    (cd "$scratch" && tar -xmf -) # -m: fresh mtimes, so cargo rebuilds them
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$scratch/target}
cd "$scratch"

caught=0 missed=0 unviable=0 notapplied=0 applied=0

# mutant EXERCISE-ID DESCRIPTION PERL-SUBSTITUTION
# The substitution runs on the text of the exercise's region only (the lines
# between its BEGIN and END lines, without the last newline).
mutant() {
    id=$1 what=$2 subst=$3
    row=$(printf '%s\n' "$regions" | awk -F'\t' -v id="$id" \
        '$2 == id { print $1, $3, $4, $5 }')
    if [ -z "$row" ]; then
        echo "NOT APPLIED  $id: no such exercise region"
        notapplied=$((notapplied + 1))
        return
    fi
    set -- $row
    crate=$1 file=$2
    cp "$file" "$file.orig"
    BEGIN_LINE=$3 END_LINE=$4 SUBST=$subst perl -0pi -e '
        my @l = split /^/m;
        my ($b, $e) = ($ENV{BEGIN_LINE}, $ENV{END_LINE});
        my $region = join "", @l[$b .. $e - 2];
        $region =~ s/\n\z//;
        {
            local $_ = $region;
            eval $ENV{SUBST};
            die $@ if $@;
            $region = $_;
        }
        $_ = join("", @l[0 .. $b - 1]) . "$region\n" . join("", @l[$e - 1 .. $#l]);
        ' "$file"
    if cmp -s "$file" "$file.orig"; then
        echo "NOT APPLIED  $id: $what"
        notapplied=$((notapplied + 1))
    elif [ -n "${DRY:-}" ]; then
        echo "applies  $id: $what"
        diff -u "$file.orig" "$file" | grep '^[-+] ' || true
        applied=$((applied + 1))
    elif ! nice -n 10 cargo test -q -p "$crate" --test graded --no-run \
        >/dev/null 2>&1; then
        echo "did not compile  $id: $what"
        unviable=$((unviable + 1))
    elif nice -n 10 cargo test -q -p "$crate" --test graded \
        >"$scratch/hand-last.log" 2>&1; then
        echo "MISSED  $id: $what"
        missed=$((missed + 1))
    else
        failing=$(sed -n 's/^---- \([^ ]*\) stdout ----$/\1/p' \
            "$scratch/hand-last.log")
        mods=$(echo "$failing" | sed 's/::.*//' | sort -u | paste -sd, -)
        echo "caught  $id: $what" \
            "($(echo "$failing" | grep -c .) graded tests fail, in $mods)"
        caught=$((caught + 1))
    fi
    mv "$file.orig" "$file"
    touch "$file" # newer than the mutant's build, so cargo rebuilds it
}

# ---- lstm-gru: the LSTM (lstm.rs) -------------------------------------------
mutant lstm-step-forward \
    "i and f gates read from each other's rows of a" \
    's/let i = ([^;]*);(\s*)let f = ([^;]*);/let i = $3;$2let f = $1;/s'
mutant lstm-step-forward "h = o ⊙ c (tanh of c forgotten)" \
    's/let h = [^;]*;/let h = o.component_mul(&c);/'
mutant lstm-step-backward \
    "∂L/∂c from the next step not added to ∂c" \
    's/(let d_c =[^;]*);/$1 - &d_next.d_c;/'
mutant lstm-step-backward \
    "tanh'(c) forgotten: ∂c gets ∂h ⊙ o instead of ∂h ⊙ o ⊙ (1 − tanh²c)" \
    's/(let d_c =[^;]*);/$1 + d_next.d_h.component_mul(o).component_mul(&tanh_c.map(|t| t * t));/'
mutant lstm-step-backward \
    "∂c_prev = ∂c (the f ⊙ factor forgotten)" \
    's/let d_c_prev = [^;]*;/let d_c_prev = d_c.clone();/'
mutant lstm-step-backward \
    "sign flip in the forget gate's gradient" \
    's/let d_f = ([^;]*);/let d_f = -($1);/'
mutant lstm-step-backward \
    "tanh'(g) forgotten for the candidate g" \
    's/let d_g = ([^;]*);/let d_g = ($1).component_div(&g.map(|t| 1.0 - t * t));/'
mutant lstm-step-backward \
    "gate gradients stacked in the wrong order (f and o rows swapped)" \
    's/(\n\s*)(let grads = )/$1for k in 0..n {$1    d_a.swap_rows(n + k, 2 * n + k);$1}$1$2/'
mutant lstm-step-backward \
    "∂x and ∂h_prev read from the wrong rows of Wᵀ ∂a" \
    's/let d_h_prev = [^;]*;/let d_h_prev = d_hx.rows(hx.nrows() - n, n).into_owned();/;
     s/let d_x = [^;]*;/let d_x = d_hx.rows(0, hx.nrows() - n).into_owned();/'
mutant lstm-through-time \
    "∂L/∂h_t from the layers above (d_hs) never added" \
    's/^/let d_hs: &[Mat] = &d_hs.iter().map(|m| m * 0.0).collect::<Vec<_>>();\n/'
mutant lstm-through-time \
    "only ∂h carried back through time, ∂c reset to 0 at each step" \
    's/(self\.step_backward_reference\([^,]*, )([^)]*)\)/${1}&LstmStateGrads { d_h: ($2).d_h.clone(), d_c: &($2).d_c * 0.0 })/'

# ---- lstm-gru: the GRU (gru.rs) ---------------------------------------------
mutant gru-step-forward \
    "roles of z swapped: h = (1 − z) ⊙ h̃ + z ⊙ h_prev" \
    's/(let h = [^;]*);/$1 + z.map(|z| 1.0 - 2.0 * z).component_mul(&(&h_tilde - h_prev));/'
mutant gru-step-forward \
    "reset gate after the recurrent product (PyTorch): r ⊙ (W_hh h_prev)" \
    's/let h_tilde = [^;]*;/let h_tilde = tanh(&add_bias(&self.w_xh * x + r.component_mul(&(&self.w_hh * h_prev)), &self.b_h));/'
mutant gru-step-backward "sign flip in ∂z" \
    's/let d_z = ([^;]*);/let d_z = -($1);/'
mutant gru-step-backward \
    "direct path (1 − z) ⊙ ∂h into ∂h_prev forgotten" \
    's/let mut d_h_prev = [^;]*;/let mut d_h_prev = d_h * 0.0;/'
mutant gru-step-backward \
    "tanh' of the candidate h̃ forgotten" \
    's/let d_ah = ([^;]*);/let d_ah = ($1).component_div(&h_tilde.map(|t| 1.0 - t * t));/'
mutant gru-step-backward \
    "the path through r ⊙ h_prev into ∂h_prev forgotten" \
    's/d_h_prev \+= ([^;]*);/d_h_prev += ($1) * 0.0;/'
mutant gru-step-backward \
    "∂W_hh uses h_prev instead of r ⊙ h_prev" \
    's/w_hh: [^,]*,/w_hh: &d_ah * h_prev.transpose(),/'

# ---- lstm-gru: stacks (stack.rs) -------------------------------------------
mutant stacked-backward \
    "the d_x of layer ℓ + 1 never handed down to layer ℓ" \
    's/(\n\s*)(let \(g, d_prev, d_x\) =)/$1let d = d_state[l].clone();$1$2/'

# ---- vanilla-rnn-bptt (rnn.rs) ----------------------------------------------
mutant rnn-step-backward "tanh' factor forgotten" \
    's/let d_a = [^;]*;/let d_a = d_h.clone();/'
mutant rnn-step-backward \
    "message from step t + 1 not added to ∂h" \
    's/let d_h = ([^;]*);/let d_h = ($1) - d_h_next;/'
mutant rnn-step-backward \
    "∂W uses h^(t) instead of h^(t−1)" \
    's/(\n\s*)w: [^,]*,/$1w: &d_a * cache.h.transpose(),/'
mutant rnn-bptt \
    "the recurrence through W dropped (no backprop through time)" \
    's/(d_h\[t\] \+= )([^;]*);/$1($2) * 0.0;/'
mutant rnn-bptt \
    "tanh' taken at step t instead of t + 1 in the recurrence" \
    's/let d_a_next = [^;]*;/let d_a_next = tanh_deriv(h(t)).component_mul(&d_h[t + 1]);/'
mutant rnn-truncated-bptt \
    "state not carried between chunks (each starts from h0)" \
    's/(\n\s*)h = [^;]*;/$1h = h0.clone();/'

# ---- attention (decode.rs, decoder_step.rs) ---------------------------------
mutant beam-search \
    "k best extensions of each hypothesis kept, no pruning across the beam" \
    's/(for \(tok, l\) in log_p[^{]*\{)/$1\nif log_p.iter().filter(|m| **m > *l).count() >= k { continue; }/;
     s/if next_live\.len\(\)[^{]*\{/if false {/'
mutant beam-search \
    "finished hypotheses do not shrink the beam (k live ones kept)" \
    's/if next_live\.len\(\)[^{]*\{/if next_live.len() >= k {/'
mutant beam-search \
    "final list ranked by log P, not by the length-normalised score" \
    's/finished\.sort_by\([^;]*;/finished.sort_by(|a, b| b.log_prob.total_cmp(&a.log_prob));/'
mutant decoder-step \
    "attends with the previous state s_{t−1} instead of s_t" \
    's/(attention_forward_reference\()&s,/${1}C::hidden(prev),/'

# ---- transformer (decoder_layer.rs, positional.rs) ---------------------------
mutant decoder-backward "∂L/∂M returned as zero" \
    's/\(grads, d_x, d_mem\)\z/(grads, d_x, d_mem * 0.0)/'
mutant positional-encoding "sin and cos swapped" \
    's/angle\.sin\(\)/SIN/; s/angle\.cos\(\)/angle.sin()/; s/SIN/angle.cos()/'

if [ -n "${DRY:-}" ]; then
    echo "hand-made mutants: $applied apply, $notapplied not applied"
else
    echo "hand-made mutants: $caught caught, $missed missed," \
        "$unviable did not compile, $notapplied not applied"
fi
[ "$missed" -eq 0 ] && [ "$notapplied" -eq 0 ]
