#include "harness/run_control.hpp"

#include "harness/signals.hpp"

namespace fb {

const StopVerdict& RunControl::step(bool allocation_failed) {
  std::vector<double> flags{stop_signal_priority(received_stop_signal()),
                            results_failure().empty() ? 0.0 : 1.0, allocation_failed ? 1.0 : 0.0};
  bootstrap_.allreduce_max(flags);
  if (verdict_.signal == 0) verdict_.signal = signal_of_priority(flags[0]);
  verdict_.results_failed = verdict_.results_failed || flags[1] != 0;
  verdict_.allocation_failed = verdict_.allocation_failed || flags[2] != 0;
  return verdict_;
}

std::string RunControl::results_failure() const {
  for (const auto* sink : sinks_) {
    auto why = sink->failure();
    if (!why.empty()) return why;
  }
  return {};
}

}  // namespace fb
