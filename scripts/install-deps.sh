#!/usr/bin/env bash
# Installs every build, test and run dependency of fabricbench from Debian's packages.
# Idempotent: packages already present are skipped quickly. Needs root (or sudo).
# Quiet: one line per step; apt's own output is shown (its tail, and the path of the full
# log) only when a step fails, and the script then exits with apt's status.
set -euo pipefail
# shellcheck source=scripts/quiet-step.sh
. "$(dirname "$0")/quiet-step.sh"

packages=(
  build-essential cmake ninja-build pkg-config git clang-format clang-tidy
  libopenmpi-dev openmpi-bin
  libucx-dev ucx-utils
  libhdf5-dev hdf5-tools
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libyaml-cpp-dev
  python3 python3-h5py python3-numpy
  libibverbs-dev rdma-core ibverbs-utils
  iproute2 procps
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
    # Ask for the password (if any) now, on the terminal, not inside a silenced step.
    sudo -v
  else
    echo "install-deps: missing packages (${missing[*]}) and not root; run this script as root" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
quiet_step "install-deps: updating the package lists" "${sudo_cmd[@]}" apt-get update
quiet_step "install-deps: installing ${#missing[@]} packages" \
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
