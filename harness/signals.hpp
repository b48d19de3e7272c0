// SIGTERM, SIGINT and SIGUSR1 (what Slurm sends before it kills a job) ask the run to stop
// at the next point boundary: the point being measured finishes and is recorded, the file
// is marked interrupted, and the program exits with kExitInterrupted.
#pragma once

#include <string>

#include "transports/bootstrap.hpp"

namespace fb {

void install_stop_handlers();
// The signal this process received (0: none). Async-signal-safe to set, cheap to read.
int received_stop_signal();
// Collective: the signal any rank received (0: none), so every rank stops at the same point.
int agreed_stop_signal(Bootstrap& bootstrap);
std::string signal_name(int signal);

}  // namespace fb
