#!/usr/bin/env bash
# Configures and builds fabricbench. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Environment: FB_BUILD_TYPE (default Release), FB_JOBS (default: number of cores).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-"$root/build"}
shift || true
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="${FB_BUILD_TYPE:-Release}" "$@"
else
  cmake "$build_dir" "$@" >/dev/null
fi
cmake --build "$build_dir" -j "${FB_JOBS:-$(nproc)}"
