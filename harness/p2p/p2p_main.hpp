// `fabricbench p2p`: runs the selected point-to-point tests over the selected transports,
// prints a table per series and the link matrix, and records everything to HDF5.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bootstrap.hpp"
#include "harness/cli/options.hpp"
#include "harness/faults/fault.hpp"
#include "harness/p2p/p2p_bench.hpp"
#include "results/results.hpp"

namespace fb {

// Collective over all ranks; returns the process exit code. With `faults`, a transport
// error ends the process through faults->fatal() (naming lost peers) instead of throwing.
int run_p2p(const P2POptions& options, Bootstrap& bootstrap, FaultReporter* faults = nullptr);

// The latency row of one point (min, p50, p90, p99, p99.9, max) from its half round trips;
// `samples` must not be empty.
results::P2PPointRecord latency_record(std::uint64_t bytes, const std::vector<double>& samples);
// A bandwidth test's point (and its samples and wrong bytes) from its measurement.
void stream_record(std::uint64_t size, const StreamResult& m, results::P2PPointRecord& r,
                   std::vector<double>& samples, std::int64_t& wrong);

}  // namespace fb
