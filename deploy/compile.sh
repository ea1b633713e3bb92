#!/usr/bin/env bash
# Builds the release binaries: dist/edge-proxy-x86_64-linux and dist/edge-proxy-aarch64-linux.
#
# `deno compile` joins the program to a base runtime (denort) that it downloads from Deno's
# release servers. Where those are unreachable, set DENORT_BIN to a denort of the *target*
# architecture and build that one target: `DENORT_BIN=/path/denort TARGETS=aarch64 deploy/compile.sh`.
#
# `deploy/compile.sh --check` runs the whole pipeline (type check, module graph, embedding)
# up to the runtime step without needing denort; CI runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Baked-in permissions: network (listeners, upstream), read (config, kubeconfig, token files,
# the cache), write (the cache), env (LogTape reads NO_COLOR-style settings). No run, ffi or sys.
PERMS=(--allow-net --allow-read --allow-write --allow-env)
# A 1 MB young generation: the proxy's garbage is short-lived stream chunks, and small
# semi-spaces collect them before they pile up (peak RSS on a 200 MB filtered list: +20 MB
# instead of +70 MB, at no measured cost in throughput). Kept in step with `deno task start`.
PERMS+=(--v8-flags=--max-semi-space-size=1)
# No V8 code cache: it saves ~50 ms of startup compiling, and under `deno run` its file is mapped
# into the process, ~2 MB of idle RSS (a compiled binary writes its cache to the temp directory on
# first run, which the unit's PrivateTmp empties on every restart anyway). Kept in step with
# `deno task start`.
PERMS+=(--no-code-cache)
declare -A TRIPLE=([x86_64]=x86_64-unknown-linux-gnu [aarch64]=aarch64-unknown-linux-gnu)

if [[ "${1:-}" == "--check" ]]; then
  deno check src/main.ts
  out=$(mktemp -d)
  # A missing denort stops compile after the graph is built and embedded: that error is
  # the expected end of the check, anything else is a real failure.
  if log=$(DENORT_BIN="$out/no-denort" deno compile "${PERMS[@]}" --output "$out/edge-proxy" src/main.ts 2>&1); then
    echo "compile check: built $out/edge-proxy"
  elif grep -q "Could not find denort" <<<"$log"; then
    echo "compile check: OK up to the denort step (no runtime here)"
  else
    echo "$log" >&2
    exit 1
  fi
  rm -rf "$out"
  exit 0
fi

mkdir -p dist
for arch in ${TARGETS:-x86_64 aarch64}; do
  deno compile "${PERMS[@]}" --target "${TRIPLE[$arch]}" --output "dist/edge-proxy-$arch-linux" src/main.ts
done
ls -l dist/
