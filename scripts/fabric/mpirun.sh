#!/usr/bin/env bash
# Runs mpirun on the emulated fabric (scripts/fabric/fabric.sh up first; docs/FABRIC.md).
#
# Usage: scripts/fabric/mpirun.sh [-n N] [--hosts H0,H1,...] [--timeout SECONDS]
#                                 [--mpi-arg ARG]... [--] PROGRAM [ARGS...]
#   -n N            ranks (default: one per host in --hosts)
#   --hosts LIST    emulated hosts, rank i on the i-th (round robin beyond; default: all)
#   --timeout S     stop the whole run after S seconds (default 600; exit 124)
#   --mpi-arg ARG   one extra argument for mpirun (repeatable)
#   --keep-going DIR  survivors outlive a dead rank; per-rank exit codes in DIR (see below)
#   --dry-run       print the command instead of running it
#
# mpirun itself runs inside namespace fbf-h0 (host name fbf-h0) and starts its daemons in
# the other hosts' namespaces through scripts/fabric/rsh-agent.sh. The traffic is pinned to
# the emulated links:
#   - Open MPI: oob_tcp_if_include and btl_tcp_if_include = 10.77.0.0/16, btl self,tcp
#     (no shared memory between ranks), --bind-to none (every daemon sees the same cores);
#   - UCX (fabricbench's ucx transport and Open MPI's pml ucx): UCX_TLS=tcp,self and
#     UCX_NET_DEVICES=fbf0; without them UCX would use shared memory between namespaces.
#     On a fabric built from a topology model (fabric.sh up --model/--topology),
#     UCX_NET_DEVICES is every NIC of the model (`fabric.sh nics`: fbf0,fbf1,...), while
#     Open MPI's own traffic stays on rail 0 (10.77.0.0/16).
# FBF_UCX_TLS and FBF_UCX_NET_DEVICES override those two values (record what you used).
#
# --keep-going DIR: for fault tests. Open MPI is told not to end the job when one rank dies
# or exits non-zero (orte_enable_recovery 1, orte_abort_on_non_zero_status 0), so that every
# surviving rank names the lost peer and exits by itself (docs/FABRIC.md). mpirun's own
# status then says nothing, so each rank runs under rank-status.sh, which writes
# "EXIT_CODE END_TIME" to DIR/rank.R; this script exits with the first non-zero code among
# the ranks, or 137 for a rank that left no status (killed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
launch_ns=fbf-h0
subnet=10.77.0.0/16
ucx_tls=${FBF_UCX_TLS:-tcp,self}
ucx_dev=${FBF_UCX_NET_DEVICES:-}
mpirun_bin=${FBF_MPIRUN:-$(command -v mpirun || true)}

n="" hosts="" limit=600 dry=0 status_dir=""
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    -n|-np) n=${2:?}; shift 2 ;;
    --hosts|--host|-H) hosts=${2:?}; shift 2 ;;
    --timeout) limit=${2:?}; shift 2 ;;
    --mpi-arg) extra+=("${2:?}"); shift 2 ;;
    --keep-going) status_dir=${2:?}; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) echo "mpirun.sh: unknown option '$1' (pass mpirun options with --mpi-arg)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "mpirun.sh: no program given" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "mpirun.sh: refused: must run as root (ip netns exec)" >&2; exit 4; }
[ -n "$mpirun_bin" ] || { echo "mpirun.sh: mpirun not found (set FBF_MPIRUN)" >&2; exit 1; }
[[ $limit =~ ^[0-9]+$ ]] || { echo "mpirun.sh: bad --timeout '$limit'" >&2; exit 2; }

if [ -z "$hosts" ]; then
  hosts=$("$here/fabric.sh" hosts) || { echo "mpirun.sh: the fabric is down (scripts/fabric/fabric.sh up)" >&2; exit 1; }
fi
IFS=, read -r -a host_list <<<"$hosts"
for h in "${host_list[@]}"; do
  [[ $h =~ ^fbf-h[0-9]+$ ]] || { echo "mpirun.sh: '$h' is not an emulated host (fbf-hN)" >&2; exit 2; }
  ip netns exec "$h" true 2>/dev/null || { echo "mpirun.sh: host '$h' is not up (scripts/fabric/fabric.sh up)" >&2; exit 1; }
done
[ -n "$n" ] || n=${#host_list[@]}
# Every NIC of a model-built fabric (fbf0 for a flag-built one, or when it cannot tell).
[ -n "$ucx_dev" ] || ucx_dev=$("$here/fabric.sh" nics 2>/dev/null) || ucx_dev=fbf0
[ -n "$ucx_dev" ] || ucx_dev=fbf0
if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ]; then echo "mpirun.sh: bad -n '$n'" >&2; exit 2; fi

# The program path as the ranks will see it: absolute, since they start in other shells.
prog=$1; shift
if [[ $prog == */* ]] && [ -e "$prog" ]; then
  prog=$(cd "$(dirname "$prog")" && pwd)/$(basename "$prog")
fi

btl=self,tcp
wrap=()
if [ -n "$status_dir" ]; then
  mkdir -p "$status_dir"
  status_dir=$(cd "$status_dir" && pwd)
  rm -f "$status_dir"/rank.*
  extra+=(--mca orte_enable_recovery 1 --mca orte_abort_on_non_zero_status 0)
  wrap=("$here/rank-status.sh" "$status_dir")
fi
cmd=("$mpirun_bin" -n "$n" --host "$hosts" --oversubscribe --bind-to none
     --mca plm_rsh_agent "$here/rsh-agent.sh"
     --mca plm_rsh_no_tree_spawn 1
     --mca oob_tcp_if_include "$subnet"
     --mca btl_tcp_if_include "$subnet"
     --mca btl "$btl"
     -x UCX_TLS="$ucx_tls" -x UCX_NET_DEVICES="$ucx_dev"
     "${extra[@]}" "${wrap[@]}" "$prog" "$@")

if [ "$dry" -eq 1 ]; then
  printf '%q ' ip netns exec "$launch_ns" "${cmd[@]}"; echo
  exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# shellcheck disable=SC2016 # $1 and $@ belong to the inner shell
launch=(timeout -k 10 "$limit" ip netns exec "$launch_ns" unshare --uts sh -c
        'echo "$1" >/proc/sys/kernel/hostname && shift && exec "$@"' fbf-mpirun "$launch_ns" "${cmd[@]}")
if [ -z "$status_dir" ]; then
  exec "${launch[@]}"
fi
rc=0
"${launch[@]}" || rc=$?
[ "$rc" -ne 124 ] || exit 124   # --timeout: the run as a whole hung
rc=0
for ((r = 0; r < n; r++)); do
  if [ ! -f "$status_dir/rank.$r" ]; then
    echo "mpirun.sh: rank $r left no exit status (killed)" >&2
    [ "$rc" -ne 0 ] || rc=137
    continue
  fi
  read -r code _ <"$status_dir/rank.$r"
  if [ "$code" -ne 0 ]; then
    echo "mpirun.sh: rank $r exited $code" >&2
    [ "$rc" -ne 0 ] || rc=$code
  fi
done
exit "$rc"
