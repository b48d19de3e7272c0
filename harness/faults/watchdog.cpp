#include "harness/faults/watchdog.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "harness/cli/options.hpp"
#include "harness/faults/fault.hpp"

namespace fb {

Watchdog::Watchdog(int rank, std::chrono::milliseconds limit, FaultReporter* faults)
    : rank_(rank), limit_(limit), faults_(faults), thread_([this] { loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

void Watchdog::set_activity(std::string what) {
  std::lock_guard lock(mutex_);
  activity_ = std::move(what);
}

void Watchdog::loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(200));
    if (stop_) break;
    // A peer that hit a failure probed this rank: the run cannot go on, whatever this
    // rank is doing (even waiting outside any deadline, as ranks outside a node subset do).
    const auto deadline = deadline_ns_.load(std::memory_order_relaxed);
    if (faults_ != nullptr) {
      const int from = faults_->probe().failure_reported_by();
      if (from >= 0) {
        faults_->fatal("rank " + std::to_string(from) + " (" + faults_->probe().host_of(from) +
                       ") stopped after a failure while this rank was " +
                       (deadline == kNever ? "waiting between measurements" : "in " + activity_));
      }
    }
    if (deadline != kNever && now_ns() > deadline) {
      if (faults_ != nullptr) {
        char what[64];
        std::snprintf(what, sizeof what, "no progress for %.1f s in ",
                      static_cast<double>(limit_.count()) / 1000.0);
        faults_->fatal(what + activity_ + " (every completed point is in the results file)");
      }
      std::fprintf(
          stderr,
          "fabricbench: rank %d: error: no progress for %.1f s in %s; a peer has probably "
          "died or hung. Aborting (every completed point is already in the results file).\n",
          rank_, static_cast<double>(limit_.count()) / 1000.0, activity_.c_str());
      std::fflush(stderr);
      std::_Exit(kExitFailure);
    }
  }
}

}  // namespace fb
