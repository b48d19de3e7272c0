#!/usr/bin/env bash
# The GPU check: builds fabricbench with CUDA on a GPU machine, runs every GPU test and the GPU
# benchmarks, and prints one summary table. Two halves, on two machines:
#
#   scripts/gpu-check.sh fetch   HERE (Debian 12 with apt): downloads the Debian packages that
#                                the build and the runs need (scripts/gpu-packages.txt) into
#                                gpu-debs/ at the repository root (ignored by git), checks that
#                                they alone provide every shared library the programs load apart
#                                from BASE_PACKAGES and CUDA, and fails above 60 MiB.
#   scripts/gpu-check.sh         THERE, whole, in under 10 minutes: unpacks gpu-debs/*.deb into
#                                build-gpu/prefix (dpkg -x, never into /), configures build-gpu/
#                                with -DFB_CUDA=ON (Release, Ninja) against that prefix, builds,
#                                runs the steps below, each with its own time limit, and prints the
#                                table (also build-gpu/gpu-check/summary.txt; each step's output
#                                is build-gpu/gpu-check/STEP.log).
#   scripts/gpu-check.sh env     prints the export lines of that environment (after unpacking),
#                                to repeat a step by hand: eval "$(scripts/gpu-check.sh env)"
#
# The GPU machine has CUDA, nvcc, NCCL, a C++ compiler, CMake, ninja and Python (with h5py), but
# no Open MPI, UCX, HDF5 or the other libraries of cmake/Dependencies.cmake, and no registry:
# gpu-debs/ travels with the working tree (it must be carried explicitly, being ignored by git).
#
# Steps (the table has one row each: PASS, FAIL with the last telling line of its log, WARN, or
# SKIP with the reason; the exit status is 1 when any step FAILed, else 0):
#   prefix        unpack, relocate the pkg-config files, and ldd every carried program and
#                 library: a library missing on this image (or a glibc/libstdc++ too old for
#                 Debian 12's builds) shows here first
#   configure     cmake; the row names the nvcc and the NCCL used
#   build         only the targets the steps need: fabricbench, fb_gpu_tests,
#                 fb_cuda_kernels_bench, and whatever else the tests labelled gpu run
#   ctest -L gpu  the GPU unit tests (kernels against the CPU kernels, device memory, streams,
#                 events, every algorithm on device memory, NCCL on one rank, NCCL's timeout
#                 and abort behind a held stream) and every other test labelled gpu
#   kernels bench fb_cuda_kernels_bench: the float32 sum combine against cudaMemcpy device to
#                 device; the row gives the ratio at 256 MiB and at the largest size. The goal
#                 is >= 0.85; below it the row is WARN (a measurement, not a failure)
#   nccl 1 rank   fabricbench run --algorithm nccl --memory cuda on one rank, with --check
#   ring 2 ranks  two ranks on the one GPU under the carried orterun: our ring all-reduce on
#                 device memory, staged through the host (--staging host, UCX), with --check
#   ring cuda-ipc the same with --staging none: our ring on the device buffers, its reductions
#                 by the CUDA kernels, the data moved between the two ranks by CUDA IPC
#                 (transports/ipc_transport.hpp), the series' staging attribute naming it
#   N GPUs        on a host with more than one GPU: NCCL beside our device-resident ring (CUDA
#                 IPC between the GPUs), one rank per GPU
# Without a GPU (no nvidia-smi, or it lists no device) the script says so in one line after the
# build and exits 0 unless the build failed: a dry run on a machine without one.
#
# Choices that depart from the plain recipe, and why:
# - FB_WERROR=OFF: the GPU image's compiler is not Debian 12's; a warning new to it would stop
#   the build before anything on the GPU ran (warnings are the CPU builds' job).
# - Not the whole build: the test suite's other executables take minutes and none runs here.
# - NCCL: when CMake's own search (cmake/Cuda.cmake) would not find nccl.h and libnccl.so, the
#   script looks for the ones of Python's nvidia-nccl package or the linker cache, and as a last
#   resort uses the nccl.h that fetch copied from this machine's CUDA (gpu-debs/nccl/include).
# - LD_LIBRARY_PATH puts the prefix first for the whole run (the build runs the test programs to
#   list their tests too), so Debian 12's copies of the carried libraries shadow the image's own.
#
# Environment (all optional): FB_GPU_CHECK_BUDGET (seconds for the whole run, default 570),
# FB_GPU_CHECK_BUILD_LIMIT (seconds for the build step, default 420), FB_GPU_CHECK_JOBS
# (ninja -j), FB_GPU_CHECK_SIZES (-b/-e/-f for the fabricbench runs, default
# "8 256M 4"), CMAKE_<LANG>_COMPILER_LAUNCHER (read by CMake itself). Runs as root need
# OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM), which the script sets.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
debs=$root/gpu-debs
package_list=$root/scripts/gpu-packages.txt
build=$root/build-gpu
prefix=$build/prefix
logs=$build/gpu-check
arch=x86_64-linux-gnu
max_mib=60
# Not carried: the GPU image has them (any glibc system with a C++ compiler does).
BASE_PACKAGES="libc6 libgcc-s1 libstdc++6 libatomic1 zlib1g"

die() {
  echo "gpu-check: $*" >&2
  exit 1
}

read_packages() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$package_list" | grep -v '^$'
}

# The folders of shared libraries under an unpacked prefix, colon separated (runtime libraries,
# Open MPI's and PMIx's own folders, HDF5's serial folder, UCX's modules: libuct_rdmacm finds
# libuct_ib through a RUNPATH of /usr/lib/x86_64-linux-gnu/ucx).
prefix_libdirs() {
  local p=$1 d out=""
  for d in "$p/usr/lib/$arch" "$p/lib/$arch" "$p/usr/lib/$arch/openmpi/lib" \
    "$p/usr/lib/$arch/pmix2/lib" "$p/usr/lib/$arch/hdf5/serial" "$p/usr/lib/$arch/ucx"; do
    [ -d "$d" ] && out=${out:+$out:}$d
  done
  printf '%s' "$out"
}

# Every ELF file (programs, libraries, plugins) under a folder.
elf_files() {
  local f
  while IFS= read -r -d '' f; do
    [ "$(head -c4 "$f" 2>/dev/null | od -An -c | tr -d ' \n')" = '177ELF' ] && printf '%s\n' "$f"
  done < <(find "$1" -type f \( -name '*.so*' -o -perm -u+x \) -print0)
}

# ldd of each file named on stdin with the prefix's libraries first. Prints one line per problem:
#   missing SONAME (needed by FILE)      not found anywhere
#   version ...                          a symbol version this system lacks (too old a glibc)
#   outside PATH                         resolved outside the prefix (the caller judges it)
ldd_report() {
  local pfx=$1 libdirs=$2 f
  while IFS= read -r f; do
    LD_LIBRARY_PATH=$libdirs ldd "$f" 2>&1 | awk -v file="$f" -v pfx="$pfx/" '
      /=> not found/ { print "missing " $1 " (needed by " file ")"; next }
      /version `.*not found/ { sub(/^[[:space:]]*/, ""); print "version " $0; next }
      / => \// { if (index($3, pfx) != 1) print "outside " $3 }'
  done | sort -u
}

# unpack_deb FILE DIR: dpkg -x, or (an image without dpkg) the data member through ar and tar.
unpack_deb() {
  if command -v dpkg-deb >/dev/null 2>&1; then
    dpkg-deb -x "$1" "$2"
    return
  fi
  local member
  member=$(ar t "$1" | grep '^data\.tar') || return 1
  case $member in
    *.xz) ar p "$1" "$member" | tar -xJ -C "$2" ;;
    *.zst) ar p "$1" "$member" | zstd -dc | tar -x -C "$2" ;;
    *.gz) ar p "$1" "$member" | tar -xz -C "$2" ;;
    *) ar p "$1" "$member" | tar -x -C "$2" ;;
  esac
}

# unpack_into DIR DEB...: what dpkg would leave under / for these packages, under DIR: their
# files, the alternatives links their scripts make that the programs need, and pkg-config files
# that name DIR/usr instead of /usr.
unpack_into() {
  local dir=$1 f pc
  shift
  mkdir -p "$dir"
  for f in "$@"; do unpack_deb "$f" "$dir" || die "cannot unpack $f"; done
  local l=$dir/usr/lib/$arch psm
  psm=$(compgen -G "$dir/usr/lib/libpsm1/libpsm_infinipath.so.1.*" | head -n1)
  [ -n "$psm" ] && ln -sfn "../libpsm1/${psm##*/}" "$l/libpsm_infinipath.so.1"
  if [ -e "$dir/usr/bin/orterun" ]; then
    ln -sfn orterun "$dir/usr/bin/mpirun"
    ln -sfn orterun "$dir/usr/bin/mpiexec"
  fi
  while IFS= read -r -d '' pc; do
    sed -i -E "s#(^|[=[:space:]\"':]|-I|-L)/usr([/[:space:]\"']|\$)#\\1$dir/usr\\2#g" "$pc"
  done < <(find "$dir" -name '*.pc' -type f -print0)
}

# The Debian package that owns a library path (/lib and /usr/lib are the same folder here).
owner_of() {
  local path=$1 real alt
  real=$(readlink -f "$path")
  for alt in "$path" "$real" "${path/#\/usr\/lib\//\/lib\/}" "${path/#\/lib\//\/usr\/lib\/}" \
    "${real/#\/usr\/lib\//\/lib\/}"; do
    dpkg -S "$alt" 2>/dev/null | head -n1 | cut -d: -f1 && return 0
  done
  echo "?"
}

# --------------------------------------------------------------------------------------------
# fetch (here)

fetch() {
  if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    die "fetch needs apt-get and dpkg (run it on the Debian 12 development machine)"
  fi
  [ "$(dpkg --print-architecture)" = amd64 ] || die "fetch needs an amd64 Debian (the GPU machine is x86-64)"
  local -a pkgs
  mapfile -t pkgs < <(read_packages)
  [ ${#pkgs[@]} -gt 0 ] || die "no packages in $package_list"

  tmp=$(mktemp -d /tmp/gpu-debs.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/debs"
  chmod 755 "$tmp" "$tmp/debs"
  echo "gpu-check: downloading ${#pkgs[@]} packages"
  if ! (cd "$tmp/debs" && apt-get download "${pkgs[@]}") >"$tmp/apt.log" 2>&1; then
    echo "gpu-check: apt-get download failed; updating the package lists and trying again"
    apt-get update >"$tmp/update.log" 2>&1 || { tail -n 20 "$tmp/update.log" >&2; die "apt-get update failed"; }
    rm -f "$tmp"/debs/*.deb
    if ! (cd "$tmp/debs" && apt-get download "${pkgs[@]}") >"$tmp/apt.log" 2>&1; then
      tail -n 20 "$tmp/apt.log" >&2
      die "apt-get download failed"
    fi
  fi
  local p missing=()
  for p in "${pkgs[@]}"; do
    compgen -G "$tmp/debs/${p}_*.deb" >/dev/null || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] || die "not downloaded: ${missing[*]}"

  # Does the set stand alone? Unpack it and ldd everything in it, and the programs of an
  # existing build, with only the prefix's libraries first in line.
  echo "gpu-check: checking that the packages provide every library they and the programs load"
  local pfx=$tmp/prefix f
  unpack_into "$pfx" "$tmp"/debs/*.deb
  local -a programs=()
  for f in build/harness/fabricbench build/tests/fb_gpu_tests build/bench/fb_cuda_kernels_bench \
    build-gpu/harness/fabricbench build-gpu/tests/fb_gpu_tests build-gpu/bench/fb_cuda_kernels_bench; do
    [ -x "$root/$f" ] && programs+=("$root/$f")
  done
  local report problems=() line path owner
  report=$({ elf_files "$pfx"; printf '%s\n' "${programs[@]}"; } | grep -v '^$' |
    ldd_report "$pfx" "$(prefix_libdirs "$pfx")")
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    case $line in
      outside\ /usr/local/cuda*) ;;  # CUDA and NCCL: the GPU image's own
      outside\ *)
        path=${line#outside }
        owner=$(owner_of "$path")
        case " $BASE_PACKAGES " in
          *" $owner "*) ;;
          *) problems+=("$path from package '$owner': neither carried nor in BASE_PACKAGES") ;;
        esac
        ;;
      *) problems+=("$line") ;;
    esac
  done <<<"$report"
  if [ ${#problems[@]} -gt 0 ]; then
    printf '  %s\n' "${problems[@]}" >&2
    die "the package set is incomplete: add the packages above to $package_list"
  fi
  echo "gpu-check: every library resolves inside the prefix or to ${BASE_PACKAGES// /, } and CUDA" \
    "(${#programs[@]} built programs checked as well)"

  mkdir -p "$debs"
  rm -f "$debs"/*.deb
  cp "$tmp"/debs/*.deb "$debs"/
  # The last-resort nccl.h (see the header).
  rm -rf "$debs/nccl"
  if [ -f /usr/local/cuda/include/nccl.h ]; then
    mkdir -p "$debs/nccl/include"
    cp /usr/local/cuda/include/nccl.h "$debs/nccl/include/"
  fi
  local bytes mib
  bytes=$(du -sb "$debs" | cut -f1)
  mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
  echo "gpu-check: gpu-debs/ holds ${#pkgs[@]} packages, $mib MiB"
  awk -v b="$bytes" -v m="$max_mib" 'BEGIN { exit !(b > m * 1048576) }' &&
    die "gpu-debs/ is $mib MiB, over the $max_mib MiB allowed (what travels must stay under 64 MiB)"
  echo "gpu-check: carry gpu-debs to the GPU machine and run scripts/gpu-check.sh there"
}

# --------------------------------------------------------------------------------------------
# The prefix and its environment (there)

# Unpacks gpu-debs/*.deb into build-gpu/prefix unless the same set already is, and makes the
# pkg-config files point into it. Prints a one-line summary.
unpack_prefix() {
  compgen -G "$debs/*.deb" >/dev/null || die "no $debs/*.deb: run 'scripts/gpu-check.sh fetch' on the development machine and carry gpu-debs"
  local stamp=$prefix/.unpacked want n
  want=$(printf '%s %s\n' "$prefix" "$(cksum <"${BASH_SOURCE[0]}")"; cd "$debs" && stat -c '%s %n' -- *.deb)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$(grep -c '\.deb$' "$stamp") packages already unpacked"
    return 0
  fi
  rm -rf "$prefix"
  unpack_into "$prefix" "$debs"/*.deb
  n=$(compgen -G "$debs/*.deb" | wc -l)
  printf '%s\n' "$want" >"$stamp"
  echo "$n packages unpacked"
}

# The environment of the carried libraries, as export lines. CPATH: the multiarch include folder
# (hwloc's autogen/config.h), which the compiler searches only under /usr/include itself.
prefix_env() {
  local u=$prefix/usr l=$prefix/usr/lib/$arch libdirs
  libdirs=$(prefix_libdirs "$prefix")
  cat <<EOF
export PATH="$u/bin:\$PATH"
export LD_LIBRARY_PATH="$libdirs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export CMAKE_PREFIX_PATH="$u\${CMAKE_PREFIX_PATH:+:\$CMAKE_PREFIX_PATH}"
export CPATH="$u/include/$arch\${CPATH:+:\$CPATH}"
export PKG_CONFIG_PATH="$l/pkgconfig:$u/share/pkgconfig"
export PKG_CONFIG_LIBDIR="$l/pkgconfig:$u/share/pkgconfig"
export OPAL_PREFIX="$u"
export OMPI_MCA_mca_base_param_files="$prefix/etc/openmpi/openmpi-mca-params.conf"
export OMPI_MCA_orte_default_hostfile="$prefix/etc/openmpi/openmpi-default-hostfile"
export PMIX_PREFIX="$l/pmix2"
export PMIX_MCA_mca_base_component_path="$l/pmix2/lib/pmix"
export UCX_MODULE_DIR="$l/ucx"
export FI_PROVIDER_PATH="$l/libfabric"
export HWLOC_PLUGINS_PATH="$l/hwloc"
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
EOF
}

# --------------------------------------------------------------------------------------------
# Steps and the table (there)

rows=()
any_failed=0
step_rc=0
step_secs=0

# add_row NAME STATUS SECONDS DETAIL
add_row() {
  rows+=("$(printf '%-22s %-5s %5s  %s' "$1" "$2" "$3" "$4")")
  [ "$2" = FAIL ] && any_failed=1
  return 0
}

# run_limited KEY LIMIT CMD...: CMD with a time limit (cut to what is left of the budget), its
# output in $logs/KEY.log; sets step_rc (124: timed out, 125: not started) and step_secs.
run_limited() {
  local key=$1 limit=$2 left t0
  shift 2
  left=$((deadline - SECONDS - 15))
  step_secs=0
  if [ "$left" -lt 20 ]; then
    echo "not started: the time budget (FB_GPU_CHECK_BUDGET=$budget s) is spent" >"$logs/$key.log"
    step_rc=125
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  t0=$SECONDS
  timeout -k 5 "$limit" "$@" >"$logs/$key.log" 2>&1
  step_rc=$?
  step_secs=$((SECONDS - t0))
  [ "$step_rc" -eq 124 ] && echo "gpu-check: timed out after $limit s" >>"$logs/$key.log"
  return 0
}

# The line of a log that best says why it failed, shortened.
reason() {
  local log=$1 r
  r=$(grep -E 'gpu-check: timed out|not started: ' "$log" | tail -n1)
  [ -n "$r" ] || r=$(grep -E 'error|Error|ERROR|FAILED|FAIL|failed|not found|what\(\)|Aborted|Segmentation|terminate called' "$log" |
    grep -v -E 'Configuring incomplete|Errors while running CTest|ninja: build stopped|^-+$|mpirun detected|Per user-direction' | tail -n1)
  [ -n "$r" ] || r=$(grep -v -E '^[[:space:]]*$|^-+$' "$log" | tail -n1)
  printf '%s' "$r" | tr -s ' \t' '  ' | sed -e 's/^ //' | cut -c1-150
}

# Per series of a fabricbench table (stdout): "NAME STATUS SIZE ALGBW BUSBW WRONG STAGING" for
# its largest size, or "NAME skipped REASON".
fabricbench_series() {
  awk '
    /^# [a-z]+  algorithm / {
      alg = ""; tr = ""; mem = "host"
      for (i = 1; i <= NF; i++) {
        if ($i == "algorithm") alg = $(i + 1)
        if ($i == "transport") tr = $(i + 1)
        if ($i == "memory") mem = $(i + 1)
      }
      name = alg "/" tr "/" mem; order[++n] = name; staging[name] = "-"; next
    }
    /^#  skipped: / { sub(/^#  skipped: /, ""); skipped[name] = $0; next }
    /^#  staging: / { sub(/^#  staging: /, ""); gsub(/ /, "_"); staging[name] = $0; next }
    /^ +[0-9]+ +[0-9]+ / && NF >= 8 {
      size[name] = $1; algbw[name] = $6; busbw[name] = $7
      if ($8 != "N/A") wrong[name] += $8; else if (!(name in wrong)) wrong[name] = "N/A"
    }
    END {
      for (i = 1; i <= n; i++) {
        s = order[i]
        if (s in skipped) print s, "skipped", skipped[s]
        else if (s in size) print s, "measured", size[s], algbw[s], busbw[s], wrong[s], staging[s]
        else print s, "empty"
      }
    }'
}

# Human size: 134217728 -> 128 MiB.
human_size() {
  awk -v b="$1" 'BEGIN { u = "B"; split("KiB MiB GiB", us, " "); i = 0
    while (b >= 1024 && i < 3) { b /= 1024; u = us[++i] }; printf "%g %s", b, u }'
}

# A fabricbench step: runs it, then judges exit status, skipped series and #wrong.
#   fabricbench_step ROW KEY LIMIT BW(algbw|busbw) CMD...
fabricbench_step() {
  local row=$1 key=$2 limit=$3 bw=$4 line detail="" status=PASS why
  shift 4
  run_limited "$key" "$limit" "$@"
  local -a series
  mapfile -t series < <(fabricbench_series <"$logs/$key.log")
  for line in "${series[@]}"; do
    # shellcheck disable=SC2086
    set -- $line
    local name=$1 what=$2
    case $what in
      skipped)
        shift 2
        status=FAIL
        local why="$*"
        detail+="${detail:+; }$name skipped: ${why:0:90}"
        ;;
      measured)
        local value=$4
        [ "$bw" = busbw ] && value=$5
        [ "$6" != N/A ] && [ "$6" != 0 ] && status=FAIL
        detail+="${detail:+; }$name $(human_size "$3"): $bw $value GB/s, wrong $6"
        [ "$7" != - ] && detail+=" (staging ${7//_/ })"
        ;;
      *)
        status=FAIL
        detail+="${detail:+; }$name: no points"
        ;;
    esac
  done
  if [ "$step_rc" -ne 0 ]; then
    case $step_rc in
      124) why="timed out" ;;
      125) why="not started: the time budget is spent" ;;
      *) why="exit $step_rc" ;;
    esac
    # The series say why when one failed; else the log's telling line.
    [ "$status" = PASS ] && [ "$step_rc" -ne 125 ] && why+=": $(reason "$logs/$key.log")"
    status=FAIL
    detail="$why${detail:+; $detail}"
  elif [ ${#series[@]} -eq 0 ]; then
    status=FAIL
    detail="no series in the output"
  fi
  add_row "$row" "$status" "$step_secs" "${detail:0:300}"
}

# NCCL for the configure step: sets nccl_cmake_args (empty when cmake/Cuda.cmake will find it
# itself, else -DNCCL_INCLUDE_DIR / -DNCCL_LIBRARY) and nccl_where (for the table).
nccl_where=""
nccl_cmake_args=()
find_nccl() {
  local inc="" lib="" d py
  if [ -n "${NCCL_ROOT:-}" ] || [ -n "${NCCL_INCLUDE_DIR:-}" ]; then
    nccl_where="as NCCL_ROOT/NCCL_INCLUDE_DIR say"
    return 0
  fi
  for d in /usr/local/cuda/include /usr/local/cuda/targets/*/include /usr/include; do
    [ -f "$d/nccl.h" ] && { inc=$d; break; }
  done
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/*/lib /usr/lib/$arch /usr/lib64 /usr/lib; do
    [ -e "$d/libnccl.so" ] && { lib=$d/libnccl.so; break; }
  done
  if [ -n "$inc" ] && [ -n "$lib" ]; then
    nccl_where=$lib
    return 0
  fi
  py=$(command -v python3 || true)
  if [ -n "$py" ]; then
    d=$("$py" -c 'import nvidia.nccl as m; print(list(m.__path__)[0])' 2>/dev/null || true)
    if [ -n "$d" ]; then
      [ -z "$inc" ] && [ -f "$d/include/nccl.h" ] && inc=$d/include
      [ -z "$lib" ] && lib=$(compgen -G "$d/lib/libnccl.so*" | head -n1)
    fi
  fi
  [ -n "$lib" ] || lib=$(ldconfig -p 2>/dev/null | awk '/libnccl\.so/ { print $NF; exit }')
  [ -n "$inc" ] || { [ -f "$debs/nccl/include/nccl.h" ] && inc=$debs/nccl/include; }
  nccl_where="${lib:-no libnccl found} (nccl.h in ${inc:-nowhere})"
  [ -n "$inc" ] && nccl_cmake_args+=("-DNCCL_INCLUDE_DIR=$inc")
  [ -n "$lib" ] && nccl_cmake_args+=("-DNCCL_LIBRARY=$lib")
  return 0
}

# A Python that has h5py (the gpu-labelled harness test reads the results with it).
python_with_h5py() {
  local p
  for p in "$(command -v python3 2>/dev/null)" /usr/bin/python3; do
    [ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import h5py' 2>/dev/null && { echo "$p"; return 0; }
  done
  return 1
}

print_table() {
  local gpu=$1 commit
  commit=$(git -C "$root" describe --always --dirty 2>/dev/null || echo "?")
  {
    echo "== fabricbench GPU check  $(date -u '+%Y-%m-%d %H:%M UTC')  ${HOSTNAME:-?}  commit $commit"
    echo "== $gpu"
    printf '%-22s %-5s %5s  %s\n' step state secs result
    printf '%s\n' "${rows[@]}"
    if [ "$any_failed" -eq 0 ]; then echo "== all steps passed"; else echo "== FAILED: see $logs/STEP.log"; fi
  } | tee "$logs/summary.txt"
}

gpu_check() {
  budget=${FB_GPU_CHECK_BUDGET:-570}
  deadline=$((SECONDS + budget))
  mkdir -p "$logs"
  rm -f "$logs"/*.log "$logs"/*.h5 "$logs/summary.txt"
  local -a sizes
  read -r -a sizes <<<"${FB_GPU_CHECK_SIZES:-8 256M 4}"

  # The GPUs.
  local ngpu=0 gpu_line
  if command -v nvidia-smi >/dev/null 2>&1; then
    ngpu=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
    gpu_line=$(nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader 2>/dev/null |
      paste -sd';' -)
    [ "$ngpu" -gt 0 ] || gpu_line="nvidia-smi lists no GPU"
  else
    gpu_line="no nvidia-smi"
  fi

  # prefix
  local t0=$SECONDS summary report problems
  summary=$(unpack_prefix) || exit 1
  eval "$(prefix_env)"
  report=$(elf_files "$prefix" | ldd_report "$prefix" "$(prefix_libdirs "$prefix")" | grep -v '^outside ')
  if ! command -v ldd >/dev/null 2>&1; then
    add_row prefix WARN $((SECONDS - t0)) "$summary; no ldd here: the carried libraries were not checked"
  elif [ -n "$report" ]; then
    printf '%s\n' "$report" >"$logs/prefix.log"
    problems=$(wc -l <<<"$report")
    add_row prefix FAIL $((SECONDS - t0)) "$problems missing: $(head -n1 <<<"$report" | cut -c1-120)"
  else
    add_row prefix PASS $((SECONDS - t0)) "$summary; every carried library resolves ($(getconf GNU_LIBC_VERSION 2>/dev/null))"
  fi

  # configure
  find_nccl
  local -a args=("${nccl_cmake_args[@]}")
  local py
  if py=$(python_with_h5py); then
    args+=("-DFB_SYSTEM_PYTHON=$py" "-DFB_PYTHON_EXECUTABLE=$py")
  fi
  run_limited configure 240 cmake -S "$root" -B "$build" -G Ninja -DFB_CUDA=ON \
    -DCMAKE_BUILD_TYPE=Release -DFB_WERROR=OFF "-DCMAKE_PREFIX_PATH=$prefix/usr" \
    "-DMPI_C_COMPILER=$prefix/usr/bin/mpicc.openmpi" \
    "-DMPIEXEC_EXECUTABLE=$prefix/usr/bin/mpirun.openmpi" \
    "-DPKG_CONFIG_EXECUTABLE=$prefix/usr/bin/pkgconf" "${args[@]}"
  local configured=0
  if [ "$step_rc" -eq 0 ]; then
    configured=1
    local cuda
    cuda=$(grep -m1 -o 'CUDA: on.*' "$logs/configure.log")
    [ ${#nccl_cmake_args[@]} -gt 0 ] && cuda+=" [NCCL found by this script: $nccl_where]"
    add_row configure PASS "$step_secs" "$cuda"
  else
    add_row configure FAIL "$step_secs" "$(reason "$logs/configure.log")"
  fi

  # build
  local built=0
  local -a jobs=()
  [ -n "${FB_GPU_CHECK_JOBS:-}" ] && jobs=(-j "$FB_GPU_CHECK_JOBS")
  if [ "$configured" -eq 1 ]; then
    local -a targets=(fabricbench fb_gpu_tests fb_cuda_kernels_bench)
    run_limited build "${FB_GPU_CHECK_BUILD_LIMIT:-420}" cmake --build "$build" "${jobs[@]}" --target "${targets[@]}"
    if [ "$step_rc" -eq 0 ]; then
      # Whatever else the gpu-labelled tests run (programs of this build not built yet).
      local -a extra=()
      mapfile -t extra < <(cd "$build" && ctest -L gpu --show-only=json-v1 2>/dev/null | python3 -c '
import json, os, sys
build = os.path.realpath(sys.argv[1]); want = set()
for test in json.load(sys.stdin).get("tests", []):
    for arg in test.get("command") or []:
        path = os.path.realpath(arg) if os.path.isabs(arg) else ""
        if path.startswith(build + os.sep) and not os.path.exists(path):
            want.add(os.path.relpath(path, build))
print("\n".join(sorted(want)))' "$build" 2>/dev/null | grep -v '^$')
      local secs=$step_secs
      if [ ${#extra[@]} -gt 0 ]; then
        mv "$logs/build.log" "$logs/build-main.log"
        run_limited build 300 cmake --build "$build" "${jobs[@]}" --target "${extra[@]}"
        cat "$logs/build.log" >>"$logs/build-main.log" && mv "$logs/build-main.log" "$logs/build.log"
        secs=$((secs + step_secs))
        targets+=("${extra[@]}")
      fi
      if [ "$step_rc" -eq 0 ]; then
        built=1
        add_row build PASS "$secs" "${targets[*]}"
      else
        add_row build FAIL "$secs" "$(reason "$logs/build.log")"
      fi
    else
      add_row build FAIL "$step_secs" "$(reason "$logs/build.log")"
    fi
  else
    add_row build SKIP 0 "not configured"
  fi

  if [ "$ngpu" -eq 0 ]; then
    print_table "$gpu_line"
    if [ "$built" -eq 1 ]; then
      echo "gpu-check: no GPU here ($gpu_line): built; nothing was run on a GPU"
    else
      echo "gpu-check: no GPU here ($gpu_line), and the build did not succeed"
    fi
    return "$any_failed"
  fi
  if [ "$built" -eq 0 ]; then
    for name in "ctest -L gpu" "kernels bench" "nccl 1 rank" "ring 2 ranks"; do
      add_row "$name" SKIP 0 "no build"
    done
    print_table "$gpu_line"
    return 1
  fi

  local fb=$build/harness/fabricbench
  local -a mpirun=("$prefix/usr/bin/mpirun.openmpi" --oversubscribe)
  local -a common=(run --collective allreduce -b "${sizes[0]}" -e "${sizes[1]}" -f "${sizes[2]}" --check --timeout 120)

  # ctest -L gpu
  run_limited ctest 240 ctest --test-dir "$build" -L gpu --output-on-failure --timeout 200
  local tally failed skipped
  tally=$(grep -E 'tests passed, [0-9]+ tests? failed out of' "$logs/ctest.log" | tail -n1)
  skipped=$(grep -c '(Skipped)' "$logs/ctest.log" || true)
  if [ "$step_rc" -eq 0 ] && [ -n "$tally" ]; then
    add_row "ctest -L gpu" PASS "$step_secs" "$tally; $skipped skipped"
  else
    failed=$(awk '/The following tests FAILED:/ { on = 1; next } on && /^[[:space:]]+[0-9]+ - / { print $3 }' \
      "$logs/ctest.log" | head -n 4 | paste -sd' ' -)
    add_row "ctest -L gpu" FAIL "$step_secs" "${tally:-$(reason "$logs/ctest.log")}${failed:+; failed: $failed}"
  fi

  # kernels bench
  run_limited kernels_bench 180 "$build/bench/fb_cuda_kernels_bench"
  local r256 rmax
  r256=$(awk '$1 == "float32" && $2 == "sum" && NF == 5 { print $5; exit }' "$logs/kernels_bench.log")
  rmax=$(awk '$1 ~ /^[0-9]+$/ && NF == 7 { size = $1; ratio = $7 } END { if (size) printf "%s %s", size, ratio }' \
    "$logs/kernels_bench.log")
  if [ "$step_rc" -ne 0 ] || [ -z "$r256" ]; then
    add_row "kernels bench" FAIL "$step_secs" "$(reason "$logs/kernels_bench.log")"
  else
    local verdict=PASS
    awk -v r="$r256" 'BEGIN { exit !(r < 0.85) }' && verdict=WARN
    add_row "kernels bench" "$verdict" "$step_secs" \
      "float32 sum / copy: $r256 at 256 MiB, ${rmax#* } at $(human_size "${rmax%% *}") (goal >= 0.85)"
  fi

  # fabricbench, NCCL on one rank
  fabricbench_step "nccl 1 rank" nccl_1rank 120 algbw \
    "$fb" "${common[@]}" --algorithm nccl --memory cuda --out "$logs/nccl_1rank.h5"

  # two ranks on the one GPU: our ring, staged through the host
  fabricbench_step "ring 2 ranks" ring_2ranks 180 busbw \
    "${mpirun[@]}" -n 2 "$fb" "${common[@]}" --algorithm ring --transport ucx --memory cuda \
    --staging host --out "$logs/ring_2ranks.h5"

  # the same, device resident: CUDA IPC between the two ranks
  fabricbench_step "ring cuda-ipc" ring_2ranks_device 180 busbw \
    "${mpirun[@]}" -n 2 "$fb" "${common[@]}" --algorithm ring --transport ucx --memory cuda \
    --staging none --out "$logs/ring_2ranks_device.h5"

  # every GPU: NCCL beside our ring
  if [ "$ngpu" -gt 1 ]; then
    fabricbench_step "$ngpu GPUs nccl+ring" all_gpus 240 busbw \
      "${mpirun[@]}" -n "$ngpu" "$fb" "${common[@]}" --algorithm nccl,ring --transport ucx \
      --memory cuda --staging none --out "$logs/all_gpus.h5"
  else
    add_row "N GPUs nccl+ring" SKIP 0 "one GPU"
  fi

  print_table "$gpu_line"
  return "$any_failed"
}

main() {
  case ${1:-} in
    fetch) fetch ;;
    env)
      unpack_prefix >&2
      prefix_env
      ;;
    "") gpu_check ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" ;;
    *) die "unknown command '$1' (fetch, env, or none)" ;;
  esac
}

# One line, so that bash has read all of it before it runs (an edit meanwhile changes nothing).
main "$@"; exit $?
