#include "harness/run_control.hpp"

#include <vector>

#include "harness/signals.hpp"

namespace fb {

const StopVerdict& RunControl::step() {
  std::vector<double> flags{stop_signal_priority(received_stop_signal()),
                            results_failure_().empty() ? 0.0 : 1.0};
  bootstrap_.allreduce_max(flags);
  if (verdict_.signal == 0) verdict_.signal = signal_of_priority(flags[0]);
  verdict_.results_failed = verdict_.results_failed || flags[1] != 0;
  return verdict_;
}

}  // namespace fb
