#include "harness/watchdog.hpp"

#include <cstdio>
#include <cstdlib>

#include "harness/options.hpp"

namespace fb {

Watchdog::Watchdog(int rank, std::chrono::milliseconds limit)
    : rank_(rank), limit_(limit), thread_([this] { loop(); }) {}

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
    const auto deadline = deadline_ns_.load(std::memory_order_relaxed);
    if (deadline != kNever && now_ns() > deadline) {
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
