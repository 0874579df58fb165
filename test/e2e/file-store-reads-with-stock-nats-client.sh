#!/usr/bin/env bash
# What `file apply` stores is a standard NATS object store: the stock NATS
# JavaScript client (test/interop/) lists the bucket and reads every object
# through its own get(), which checks the digest in the object's meta. An
# empty file, one of several chunks and one of raw bytes with NULs come back
# with the sizes and SHA-256 sums of their sources, under the names
# `sha256-<hex>` that `file history` reports.
source "$(dirname "$0")/lib.sh"

INTEROP=$E2E_DIR/../interop
command -v node >/dev/null ||
    fail "node is not installed; this test needs it (scripts/setup.sh installs it; not skipping)"
[ -f "$INTEROP/node_modules/nats/package.json" ] ||
    fail "the nats npm package is not installed: npm ci --prefix test/interop (not skipping)"

start_fleet 'agent-1||'
mkdir -p "$T/src" "$T/node"
: >"$T/src/empty"
# Larger than one chunk (128 KiB) and not a multiple of it: three chunks.
head -c 300001 /dev/urandom >"$T/src/big.bin"
printf 'a\0b\0\0\377\376\r\n\0' >"$T/src/nul.bin"
NAMES=(empty big.bin nul.bin)

for name in "${NAMES[@]}"; do
    cli file apply --src "$T/src/$name" --dest "$T/node/$name" -t agent-1 --output json
    expect_rc 0 "apply $name"
    expect_eq "$(jq -r '[.report.results[].state] | join(",")' <<<"$OUT")" written \
        "apply $name"
done

# What the sources and `file history` say each object is, as the reader's
# lines: name, size and SHA-256 of the bytes, sorted by name.
want=()
for name in "${NAMES[@]}"; do
    sum=$(sha256sum "$T/src/$name" | cut -d' ' -f1)
    size=$(stat -c %s "$T/src/$name")
    cli file history --source-path "$T/src/$name" --output json
    expect_rc 0 "history of $name"
    expect_eq "$(jq -r '.revisions[0].revision | "\(.sha256) \(.size)"' <<<"$OUT")" \
        "$sum $size" "history of $name: content hash and size"
    want+=("sha256-$sum $size $sum")
done
want=$(printf '%s\n' "${want[@]}" | sort)

cd "$INTEROP"
started=$(date +%s%N)
if ! node object_store_read.mjs "$OASIS__NATS__URL" oasis_files >"$T/read.out" 2>"$T/read.err"
then
    fail "the stock client could not read the store: $(cat "$T/read.err")"
fi
cd "$T"
echo "the stock client read the bucket in $(( ($(date +%s%N) - started) / 1000000 )) ms" >&2

got=$(jq -r '"\(.name) \(.size) \(.sha256)"' "$T/read.out")
expect_eq "$got" "$want" "objects the stock client listed and read (name, size, SHA-256)"
# Its info() agrees with the bytes read, in chunks of the standard 128 KiB:
# bytes read, size in the meta, chunks in the meta.
expect_eq "$(jq -r '"\(.size) \(.info_size) \(.chunks)"' "$T/read.out" | sort -n | paste -sd,)" \
    "0 0 0,10 10 1,300001 300001 3" "sizes and chunk counts in the metas"
ok
