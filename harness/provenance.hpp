// What the results file records about the run: versions, hosts, time, command line.
#pragma once

#include <string>

#include "results/results.hpp"
#include "transports/bootstrap.hpp"

namespace fb {

// Collective: every rank calls it (host names are gathered).
results::RunInfo collect_run_info(Bootstrap& bootstrap, const std::string& command_line);

std::string utc_timestamp_iso8601();
// Peak resident set size of this process, in bytes.
std::uint64_t peak_rss_bytes();

}  // namespace fb
