#include "transports/local_placement.hpp"

#include <sched.h>
#include <unistd.h>

#include "core/bootstrap.hpp"

namespace fb {

LocalPlacement local_placement(const std::vector<std::string>& machines, int rank) {
  LocalPlacement placement;
  const auto& mine = machines.at(static_cast<std::size_t>(rank));
  placement.local_ranks = 0;
  for (std::size_t r = 0; r < machines.size(); ++r) {
    if (machines[r] != mine) continue;
    if (static_cast<int>(r) < rank) ++placement.local_rank;
    ++placement.local_ranks;
  }
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  const int usable = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  // With binding each rank sees one core; compare with the machine's online cores then.
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  placement.cores = usable > 1 ? usable : (online > 0 ? online : 1);
  return placement;
}

LocalPlacement local_placement(Bootstrap& bootstrap) {
  return local_placement(bootstrap.allgather_strings(kernel_boot_id()), bootstrap.rank());
}

}  // namespace fb
