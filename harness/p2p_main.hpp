// `fabricbench p2p`: runs the selected point-to-point tests over the selected transports,
// prints a table per series and the link matrix, and records everything to HDF5.
#pragma once

#include "harness/fault.hpp"
#include "harness/options.hpp"
#include "transports/bootstrap.hpp"

namespace fb {

// Collective over all ranks; returns the process exit code. With `faults`, a transport
// error ends the process through faults->fatal() (naming lost peers) instead of throwing.
int run_p2p(const P2POptions& options, Bootstrap& bootstrap, FaultReporter* faults = nullptr);

}  // namespace fb
