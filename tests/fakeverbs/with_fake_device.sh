#!/usr/bin/env bash
# Runs a command (mpirun, usually) with the software RDMA device of tests/fakeverbs loaded
# into every process it starts: with_fake_device.sh ib|roce LIBRARY COMMAND [ARGS...].
# The queue pairs' sockets live in a directory of this run, removed at the end.
set -eu
link=$1; lib=$2; shift 2
dir=$(mktemp -d /tmp/fakeverbs.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export FB_FAKEVERBS_DIR=$dir FB_FAKEVERBS_LINK=$link LD_PRELOAD=$lib
# Open MPI's and UCX's own verbs users would probe the device with provider calls it does
# not have: keep them on shared memory and TCP (the runs measure fabricbench's transport).
export OMPI_MCA_btl=self,vader,tcp OMPI_MCA_mtl=^ofi UCX_MODULES=^ib,rdmacm
# The device limits registered memory to RLIMIT_MEMLOCK as the kernel does for an
# unprivileged user (8 MiB in many containers): the large counts need more. Raise it where
# allowed (root in CI), else tell the device not to enforce it, and say so.
if ! ulimit -l unlimited 2>/dev/null; then
  echo "note: cannot raise RLIMIT_MEMLOCK ($(ulimit -l) KiB): FB_FAKEVERBS_MEMLOCK=ignore"
  export FB_FAKEVERBS_MEMLOCK=ignore
fi
"$@"
