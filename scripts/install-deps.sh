#!/usr/bin/env bash
# Installs every build, test and run dependency of fabricbench from Debian's packages.
# Idempotent: packages already present are skipped quickly. Needs root (or sudo).
# Quiet: one line per step; apt's own output is shown (its tail, and the path of the full
# log) only when a step fails, and the script then exits with apt's status.
# It also makes the Python package of this checkout (python/fabricbench) importable by
# /usr/bin/python3: a fabricbench.pth in the first site-packages folder of Debian's Python
# (/usr/local/lib/python3.X/dist-packages; FB_SITE_PACKAGES overrides it) names python/.
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
  python3 python3-h5py python3-numpy python3-pandas python3-scipy python3-matplotlib
  python3-pytest chromium fonts-dejavu-core
  libibverbs-dev rdma-core ibverbs-utils
  libhwloc-dev
  iproute2 procps
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Writes the .pth file (silently; it is one line) once Debian's Python is there.
install_python_path() {
  local python=/usr/bin/python3 site pth line
  site=${FB_SITE_PACKAGES:-}
  if [ -z "$site" ]; then
    [ -x "$python" ] || return 0
    site=$("$python" -c 'import site; print(site.getsitepackages()[0])')
  fi
  pth=$site/fabricbench.pth
  line=$(cd "$(dirname "$0")/.." && pwd)/python
  [ "$(cat "$pth" 2>/dev/null)" = "$line" ] && return 0
  if [ -w "$site" ] || { [ ! -e "$site" ] && [ "$(id -u)" -eq 0 ]; }; then
    mkdir -p "$site" && printf '%s\n' "$line" >"$pth"
  else
    sudo mkdir -p "$site" && printf '%s\n' "$line" | sudo tee "$pth" >/dev/null
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  install_python_path
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
install_python_path
