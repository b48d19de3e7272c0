// RunControl: how every rank learns, at the same iteration, that the run must stop.
//
// Each timed iteration starts with a control step: one allreduce (maximum) over every rank
// of this rank's stop requests, which doubles as the barrier that lines the ranks up before
// the clock starts. A decision one rank makes alone thereby reaches every rank before any of
// them waits on the next iteration's communication:
//   - a stop signal (SIGTERM, SIGINT, SIGUSR1) that reached some ranks and not yet others;
//   - rank 0's results file failing to write (a full disk).
// The step sits outside the timed region, so it adds no communication to what is measured,
// and a stop takes effect within one iteration: well inside the one second mpirun leaves
// between forwarding SIGTERM and sending SIGKILL.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "core/bootstrap.hpp"

namespace fb {

struct StopVerdict {
  int signal = 0;               // the stop signal some rank received (0: none)
  bool results_failed = false;  // rank 0's results file could not be written
  bool stop() const { return signal != 0 || results_failed; }
};

class RunControl {
 public:
  // `results_failure`: why this rank's results can no longer be written ("" while they can;
  // only rank 0 writes). Polled at every step.
  RunControl(Bootstrap& bootstrap, std::function<std::string()> results_failure)
      : bootstrap_(bootstrap), results_failure_(std::move(results_failure)) {}

  // Collective: every rank gets the same verdict. Also a barrier. Once a verdict says stop,
  // it stays (later steps keep it).
  const StopVerdict& step();
  const StopVerdict& verdict() const { return verdict_; }

 private:
  Bootstrap& bootstrap_;
  std::function<std::string()> results_failure_;
  StopVerdict verdict_;
};

}  // namespace fb
