#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, checks formatting,
# builds with warnings as errors (and once more with the README's plain cmake commands and
# CMake's default generator), checks the kernels are vectorised, runs clang-tidy, builds
# the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer and runs them, runs every
# ctest test (unit, command line, multi-rank under mpirun, h5py), and last the emulated
# multi-host fabric tests on their own.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

echo "== format check (clang-format)"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

echo "== build (Release, -Werror)"
"$root/scripts/build.sh" "$root/build" -DFB_WERROR=ON

# The README's plain command, as a new user types it: CMake's default generator (Unix
# Makefiles here, whatever CMAKE_GENERATOR says), default options, everything built.
echo "== plain build (cmake -S . -B build-plain && cmake --build build-plain, default generator)"
env -u CMAKE_GENERATOR cmake -S . -B build-plain && cmake --build build-plain -j "$(nproc)"

echo "== reduction kernels vectorised (AVX-512 / AVX2 clones)"
"$root/scripts/check-vectorized.sh" "$root/build"

echo "== static analysis (clang-tidy, .clang-tidy at the root)"
git ls-files 'core/*.cpp' 'collectives/*.cpp' 'transports/*.cpp' 'harness/*.cpp' 'topologies/*.cpp' 'results/*.cpp' \
  'analysis/*.cpp' |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$root/build" --quiet 2>/dev/null

echo "== build (unit tests, ASan + UBSan)"
FB_BUILD_TYPE=Debug "$root/scripts/build.sh" "$root/build-asan" -DFB_SANITIZE=ON -DFB_WERROR=ON

echo "== unit tests under ASan + UBSan"
(cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest -L unit -j "$(nproc)" --output-on-failure)

echo "== all tests but the emulated fabric"
cd "$root/build"
ctest -j "$(nproc)" -LE fabric --output-on-failure

# Alone, so that no other test competes for the cores while links are measured.
echo "== emulated multi-host fabric (network namespaces; skipped without root)"
ctest -L fabric --output-on-failure
