// The measuring commands once their options are parsed: start the job's ranks, check that
// every rank got the same options, set up the fault reporter, run, and end the job.
#pragma once

#include <functional>
#include <string>

#include "core/bootstrap.hpp"
#include "harness/faults/fault.hpp"

namespace fb {

// The launcher's rank, read from its environment before the ranks are connected (0 when
// there is none), so only one rank prints an error found before that.
int launcher_rank();

// Rank 0's `text` on every rank (collective).
std::string broadcast_string(Bootstrap& bootstrap, std::string text);

// Every rank must have been started with the same options: returns kExitOk, or
// kExitBadInput after rank 0 printed the difference.
int check_same_options(Bootstrap& bootstrap, int argc, char** argv);

// Connects the ranks (MPI, transports/mpi_bootstrap.hpp), installs the stop handlers, checks
// the options alike on every rank, starts the fault reporter and returns what `measure`
// returns. An exception ends the whole job with kExitFailure after this rank printed it (an
// AlreadyReported one: printed before), since the other ranks may be waiting for this one.
int run_on_every_rank(int argc, char** argv,
                      const std::function<int(Bootstrap&, FaultReporter&)>& measure);

}  // namespace fb
