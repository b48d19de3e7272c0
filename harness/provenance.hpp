// What the results file records about the run: versions, hosts, time, command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bootstrap.hpp"
#include "results/results.hpp"
#include "transports/host_locality.hpp"

namespace fb {

// Collective: every rank calls it (host names are gathered).
results::RunInfo collect_run_info(Bootstrap& bootstrap, const std::string& command_line);

std::string utc_timestamp_iso8601();
// The CPUs this process may run on, as a list like "0-3,8".
std::string cpu_binding();
// UCX_*, NCCL_*, OMPI_*, FI_* and SLURM_* variables of this process as KEY=VALUE, sorted.
std::vector<std::string> launch_environment();
// Where this host's NICs and GPUs sit, from hwloc: looked at once per process.
const HostLocality& this_host_locality();
// One rank's locality as the results file's `rank_locality` records it (one JSON object).
std::string locality_json(const HostLocality& locality);
// Peak resident set size of this process, in bytes.
std::uint64_t peak_rss_bytes();

}  // namespace fb
