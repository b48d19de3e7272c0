// `fabricbench run` once the ranks are up: plan, memory check, runners per node subset, results
// file, and the exit code every rank returns.
#pragma once

#include <string>

#include "core/bootstrap.hpp"
#include "harness/cli/options.hpp"
#include "harness/faults/fault.hpp"

namespace fb {

// Runs the whole sweep of `options` on every rank of `bootstrap`; returns the exit code.
int run_sweep(const RunOptions& options, Bootstrap& bootstrap, FaultReporter& faults);

}  // namespace fb
