// `fabricbench run` once MPI is up: plan, memory check, runners per node subset, results
// file, and the exit code every rank returns.
#pragma once

#include <string>

#include "harness/fault.hpp"
#include "harness/options.hpp"
#include "transports/mpi_bootstrap.hpp"

namespace fb {

// The launcher's rank, read from its environment before MPI is up (0 when there is none), so
// only one rank prints an error found before MPI starts.
int launcher_rank();

// Rank 0's `text` on every rank (collective).
std::string broadcast_string(Bootstrap& bootstrap, std::string text);

// Every rank must have been started with the same options: returns kExitOk, or
// kExitBadInput after rank 0 printed the difference.
int check_same_options(Bootstrap& bootstrap, int argc, char** argv);

// Runs the whole sweep of `options` on every rank of `bootstrap`; returns the exit code.
int run_sweep(const RunOptions& options, MpiBootstrap& bootstrap, FaultReporter& faults);

}  // namespace fb
