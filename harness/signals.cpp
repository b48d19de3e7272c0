#include "harness/signals.hpp"

#include <csignal>
#include <cstring>

namespace fb {

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;

// The first stop signal is kept: Slurm's --signal=USR1 followed by its SIGTERM at the end of
// the grace time is a SIGUSR1 stop.
extern "C" void on_stop_signal(int signal) {
  if (g_stop_signal == 0) g_stop_signal = signal;
}
}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // let MPI and UCX calls carry on; we stop at a boundary
  for (const int signal : {SIGTERM, SIGINT, SIGUSR1})
    sigaction(signal, &action, nullptr);
}

int received_stop_signal() {
  return g_stop_signal;
}

double stop_signal_priority(int signal) {
  return signal == 0 ? 0.0 : 64.0 - signal;
}

int signal_of_priority(double priority) {
  return priority == 0 ? 0 : 64 - static_cast<int>(priority);
}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGUSR1:
      return "SIGUSR1";
    default:
      return "signal " + std::to_string(signal);
  }
}

}  // namespace fb
