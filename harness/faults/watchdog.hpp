// Backstop against hangs the transports cannot see (a blocking MPI baseline, a barrier with
// a dead peer): a thread that ends the process with a clear message when the armed deadline
// passes. Transport waits have their own, earlier deadlines and better messages.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace fb {

class FaultReporter;

class Watchdog {
 public:
  // With `faults`, an expired deadline ends the process through faults->fatal(), which
  // names the lost peers; without, it prints the activity and exits kExitFailure.
  Watchdog(int rank, std::chrono::milliseconds limit, FaultReporter* faults = nullptr);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // What is running now (reported if it hangs). Takes a lock: call per point, not per op.
  void set_activity(std::string what);
  // Restarts the clock: the current activity must finish within the limit from now.
  void kick() {
    deadline_ns_.store(now_ns() + limit_.count() * 1000000, std::memory_order_relaxed);
  }
  // Stops watching until the next kick().
  void pause() { deadline_ns_.store(kNever, std::memory_order_relaxed); }

 private:
  static constexpr std::int64_t kNever = INT64_MAX;
  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void loop();

  int rank_;
  std::chrono::milliseconds limit_;
  FaultReporter* faults_;
  std::atomic<std::int64_t> deadline_ns_{kNever};
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::string activity_;
  std::thread thread_;
};

}  // namespace fb
