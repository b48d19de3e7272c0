// What the results file records about the run: versions, hosts, time, command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bootstrap.hpp"
#include "results/results.hpp"

namespace fb {

// Collective: every rank calls it (host names are gathered).
results::RunInfo collect_run_info(Bootstrap& bootstrap, const std::string& command_line);

std::string utc_timestamp_iso8601();
// The CPUs this process may run on, as a list like "0-3,8".
std::string cpu_binding();
// UCX_*, NCCL_*, OMPI_*, FI_* and SLURM_* variables of this process as KEY=VALUE, sorted.
std::vector<std::string> launch_environment();
// Peak resident set size of this process, in bytes.
std::uint64_t peak_rss_bytes();

}  // namespace fb
