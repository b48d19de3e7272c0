// Where this rank sits among the ranks of its machine (ranks that share a kernel boot id),
// and whether that machine runs more ranks than it lets them have cores. Transports use it
// to spread local ranks over NICs and to yield an idle core to a peer that needs it.
#pragma once

#include <string>
#include <vector>

namespace fb {

class Bootstrap;

struct LocalPlacement {
  int local_rank = 0;   // among the ranks on this machine, in rank order
  int local_ranks = 1;  // ranks on this machine
  long cores = 1;       // cores this rank may run on (the machine's, when bound to one)
  bool oversubscribed() const { return local_ranks > cores; }
};

// From every rank's machine id (`machines[r]` for rank r) and this rank's number. Pure
// except for reading this process's CPU affinity and the online core count.
LocalPlacement local_placement(const std::vector<std::string>& machines, int rank);

// Collective: every rank calls it (one allgather of kernel_boot_id()).
LocalPlacement local_placement(Bootstrap& bootstrap);

}  // namespace fb
