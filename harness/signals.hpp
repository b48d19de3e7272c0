// SIGTERM, SIGINT and SIGUSR1 (what Slurm sends before it kills a job) ask the run to stop:
// the ranks agree at the next iteration's control step (harness/run_control.hpp), the point in
// progress is abandoned, every finished point is in the file, the file is marked
// interrupted, and the program exits with kExitInterrupted.
#pragma once

#include <string>

namespace fb {

void install_stop_handlers();
// The signal this process received (0: none). Async-signal-safe to set, cheap to read.
int received_stop_signal();
// Ranks agree on a stop signal through a maximum (harness/run_control.hpp) of its priority
// (0 for no signal): when ranks received different signals, the lowest-numbered one wins
// (SIGINT over SIGUSR1 over SIGTERM: the more specific request).
double stop_signal_priority(int signal);
int signal_of_priority(double priority);
std::string signal_name(int signal);

}  // namespace fb
