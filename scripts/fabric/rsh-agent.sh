#!/usr/bin/env bash
# rsh/ssh stand-in for mpirun on the emulated fabric (docs/FABRIC.md):
#   mpirun --mca plm_rsh_agent scripts/fabric/rsh-agent.sh ...
# Called as `rsh-agent.sh [options] HOST COMMAND...`, it runs COMMAND inside the network
# namespace HOST (one that scripts/fabric/fabric.sh created: fbf-h0, fbf-h1, ...) with its
# own UTS namespace whose host name is HOST, so gethostname() and MPI_Get_processor_name()
# tell the emulated hosts apart. Like ssh, the COMMAND words are joined with spaces and the
# result is interpreted by a shell (sh -c): mpirun quotes its orted command line for that.
# rsh/ssh options before HOST (-x, -n, -T, -l USER, -p PORT, -o OPT, ...) are ignored.
set -euo pipefail

while [ $# -gt 0 ]; do
  case $1 in
    --) shift; break ;;
    -[bcDeEFiJlLmOopQRSwW]) shift 2 ;;   # ssh options that take a value
    -*) shift ;;                          # flags: -x -n -T -q -4 -6 -A -a -C -f -t -v ...
    *) break ;;
  esac
done
if [ $# -lt 2 ]; then
  echo "rsh-agent.sh: usage: rsh-agent.sh [options] HOST COMMAND..." >&2
  exit 2
fi
host=$1; shift
host=${host#*@}   # user@host

# An address of an emulated host stands for its name (the tagged /etc/hosts lines).
if [[ $host =~ ^10\.77\.[0-9]+\.[0-9]+$ ]]; then
  name=$(awk -v a="$host" '$1 == a && /# fbf-fabric$/ {print $2; exit}' /etc/hosts)
  host=${name:-$host}
fi
if ! [[ $host =~ ^fbf-h[0-9]+$ ]]; then
  echo "rsh-agent.sh: '$host' is not an emulated fabric host (fbf-hN)" >&2
  exit 255
fi
if ! ip netns exec "$host" true 2>/dev/null; then
  echo "rsh-agent.sh: network namespace '$host' does not exist (run scripts/fabric/fabric.sh up)" >&2
  exit 255
fi

# $1 of the inner script is the host name, $2 the joined command.
# shellcheck disable=SC2016
exec ip netns exec "$host" unshare --uts sh -c \
  'echo "$1" >/proc/sys/kernel/hostname && exec sh -c "$2"' fbf-rsh "$host" "$*"
