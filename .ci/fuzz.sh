#!/usr/bin/env bash
# Fuzzing in CI (issue 14): every cargo-fuzz target replays its committed
# seed corpus, then runs for FUZZ_SECONDS (30) from it. Findings fail CI and
# land in fuzz/artifacts/<target>/ (docs/FUZZING.md says how to replay one).
# Mutated inputs go to a scratch directory, so the committed seeds stay as
# they are. Targets run one after another: the machine's cores are shared.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-30}"
command -v cargo-fuzz >/dev/null || cargo install --quiet --locked cargo-fuzz
# cargo-fuzz needs nightly's -Z flags; with only a stable toolchain,
# RUSTC_BOOTSTRAP lets stable take them (docs/FUZZING.md).
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then fuzz=(cargo +nightly fuzz); else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
start=$SECONDS
"${fuzz[@]}" build -s none
echo "fuzz: built in $((SECONDS - start)) s"
for target in $("${fuzz[@]}" list); do
    mkdir -p "$scratch/$target"
    t=$SECONDS
    # -runs=0: each seed once, nothing mutated.
    "${fuzz[@]}" run -s none "$target" "corpus/$target" -- -runs=0 2>"$scratch/$target.replay.log" ||
        { tail -40 "$scratch/$target.replay.log"; exit 1; }
    # -max_total_time=0 would mean no limit: 0 seconds only replays.
    [ "$seconds" -gt 0 ] || continue
    "${fuzz[@]}" run -s none "$target" "$scratch/$target" "corpus/$target" -- -max_total_time="$seconds" \
        2>"$scratch/$target.log" || { tail -40 "$scratch/$target.log"; exit 1; }
    echo "fuzz: $target replayed and ran ${seconds} s ($(grep -o 'Done [0-9]* runs' "$scratch/$target.log" || true)) in $((SECONDS - t)) s"
done
echo "fuzz: $((SECONDS - start)) s in all"
