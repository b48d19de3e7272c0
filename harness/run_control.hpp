// RunControl: how every rank learns, at the same iteration, that the run must stop.
//
// Each timed iteration starts with a control step: one allreduce (maximum) over every rank
// of this rank's stop requests, which doubles as the barrier that lines the ranks up before
// the clock starts. A decision one rank makes alone thereby reaches every rank before any of
// them waits on the next iteration's communication:
//   - a stop signal (SIGTERM, SIGINT, SIGUSR1) that reached some ranks and not yet others;
//   - rank 0's results file failing to write (a full disk), reported by its sinks;
//   - a rank that could not allocate what a point needs.
// The step sits outside the timed region, so it adds no communication to what is measured,
// and a stop takes effect within one iteration: well inside the one second mpirun leaves
// between forwarding SIGTERM and sending SIGKILL.
#pragma once

#include <string>
#include <vector>

#include "harness/sinks.hpp"
#include "transports/bootstrap.hpp"

namespace fb {

struct StopVerdict {
  int signal = 0;               // the stop signal some rank received (0: none)
  bool results_failed = false;  // rank 0's results sink failed (its failure() says why)
  bool allocation_failed = false;
  bool stop() const { return signal != 0 || results_failed || allocation_failed; }
};

class RunControl {
 public:
  // `sinks`: this rank's sinks (rank 0's; empty elsewhere), polled for failure().
  RunControl(Bootstrap& bootstrap, std::vector<Sink*> sinks)
      : bootstrap_(bootstrap), sinks_(std::move(sinks)) {}

  // Collective: every rank gets the same verdict. Also a barrier. Once a verdict says stop,
  // it stays (later steps keep it).
  const StopVerdict& step(bool allocation_failed = false);
  const StopVerdict& verdict() const { return verdict_; }
  // The failure message of this rank's first failed sink ("" if none or not rank 0).
  std::string results_failure() const;

 private:
  Bootstrap& bootstrap_;
  std::vector<Sink*> sinks_;
  StopVerdict verdict_;
};

}  // namespace fb
