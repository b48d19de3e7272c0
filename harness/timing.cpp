#include "harness/timing.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace fb {

namespace {

using Clock = std::chrono::steady_clock;

// Window: waits longer than this sleep until half of it is left, then spin.
constexpr auto kWindowSpinOnly = std::chrono::microseconds(400);

double now_us() {
  return std::chrono::duration<double, std::micro>(Clock::now().time_since_epoch()).count();
}

double elapsed_us(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

// A call's time: the device's when the algorithm is device-timed, else the host's.
double call_time_us(const TimedCall& timed, Clock::time_point from, Clock::time_point to) {
  if (timed.device_time_us) {
    if (const auto device = timed.device_time_us()) return *device;
  }
  return elapsed_us(from, to);
}

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

std::optional<TimedPoint> run_iteration(Bootstrap& bootstrap, const TimedCall& timed,
                                        std::int64_t iterations) {
  TimedPoint out;
  out.samples_us.resize(static_cast<std::size_t>(iterations));
  for (auto& sample : out.samples_us) {
    if (timed.stop_requested()) return std::nullopt;
    const auto t0 = Clock::now();
    timed.call();
    const auto t1 = Clock::now();
    sample = call_time_us(timed, t0, t1);
  }
  bootstrap.allreduce_max(out.samples_us);
  return out;
}

std::optional<TimedPoint> run_back_to_back(Bootstrap& bootstrap, const TimedCall& timed,
                                           std::int64_t iterations, const WarmupTimes& warmup) {
  // Every rank must size every batch the same: the first from the slowest rank's median
  // warm-up call, the next ones from the slowest rank's previous batch.
  std::vector<double> per_iteration{median_of(warmup.call_us)};
  bootstrap.allreduce_max(per_iteration);
  std::vector<std::int64_t> batch_iterations;
  std::vector<double> my_batch_us;
  std::int64_t remaining = iterations;
  while (remaining > 0) {
    const auto k = next_batch_iterations(remaining, per_iteration[0], kBackToBackBatchTargetUs);
    if (timed.stop_requested()) return std::nullopt;  // also the barrier before the stretch
    double device_us = 0;
    bool device_timed = static_cast<bool>(timed.device_time_us);
    const auto t0 = Clock::now();
    for (std::int64_t i = 0; i < k; ++i) {
      timed.call();
      if (device_timed) {
        if (const auto d = timed.device_time_us()) {
          device_us += *d;
        } else {
          device_timed = false;
        }
      }
    }
    const auto t1 = Clock::now();
    const double batch_us = device_timed ? device_us : elapsed_us(t0, t1);
    my_batch_us.push_back(batch_us);
    batch_iterations.push_back(k);
    remaining -= k;
    per_iteration[0] = batch_us / static_cast<double>(k);
    bootstrap.allreduce_max(per_iteration);
  }
  // Every rank's batch times, then each batch combined as the anchors combine a run.
  const auto n = static_cast<std::size_t>(bootstrap.size());
  const auto batches = my_batch_us.size();
  std::vector<double> all(batches * n);
  bootstrap.allgather(std::as_bytes(std::span<const double>(my_batch_us)),
                      std::as_writable_bytes(std::span<double>(all)));
  std::vector<double> batch_sample(batches);
  std::vector<double> ranks(n);
  for (std::size_t b = 0; b < batches; ++b) {
    for (std::size_t r = 0; r < n; ++r)
      ranks[r] = all[r * batches + b];
    batch_sample[b] = back_to_back_sample_us(ranks, batch_iterations[b]);
  }
  TimedPoint out;
  out.samples_us = expand_batches(batch_sample, batch_iterations);
  out.batches = static_cast<std::int64_t>(batches);
  return out;
}

std::optional<TimedPoint> run_window(Bootstrap& bootstrap, const TimedCall& timed,
                                     std::int64_t iterations, const WarmupTimes& warmup) {
  const auto clock = synchronise_clocks(bootstrap, kClockSyncPingPongs);
  // A window holds the call and two steps of the same cost: the schedule exchange and the
  // control step.
  std::vector<double> warmup_iteration_us(warmup.call_us.size());
  for (std::size_t i = 0; i < warmup_iteration_us.size(); ++i)
    warmup_iteration_us[i] = warmup.call_us[i] + 2 * warmup.step_us[i];
  std::vector<double> plan{typical_warmup_us(warmup_iteration_us), clock.error_us};
  bootstrap.allreduce_max(plan);
  TimedPoint out;
  out.window_us = plan_window_us(plan[0], plan[1]);
  out.clock_error_us = plan[1];

  // Rank 0 sets the first window's start on its clock, far enough ahead for the broadcast.
  double start_common = now_us() + std::max(10 * out.window_us, 1000.0);
  bootstrap.broadcast(std::as_writable_bytes(std::span<double>(&start_common, 1)), 0);

  const auto n = static_cast<std::size_t>(iterations);
  // The samples, then the late flags: combined over ranks in one maximum after the loop.
  std::vector<double> combined(2 * n, 0.0);
  std::vector<double> latest_end(1);
  for (std::size_t i = 0; i < n; ++i) {
    const Clock::time_point start(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double, std::micro>(start_common - clock.offset_us)));
    // Sleep through most of a long wait (a spinning rank on a busy machine loses its core
    // just when the window opens; a woken one tends to get it back), spin the last stretch.
    if (start - Clock::now() > kWindowSpinOnly)
      std::this_thread::sleep_until(start - kWindowSpinOnly / 2);
    while (Clock::now() < start) {
    }
    const auto began = Clock::now();
    // Late: this rank reached the window after it opened, or was descheduled while waiting.
    if (elapsed_us(start, began) > kWindowLateUs) combined[n + i] = 1;
    timed.call();
    const auto end = Clock::now();
    const auto device = timed.device_time_us ? timed.device_time_us() : std::nullopt;
    // Device-timed calls: how late the call began after the window opened, plus its device time.
    combined[i] =
        device ? std::max(0.0, elapsed_us(start, began)) + *device : elapsed_us(start, end);
    // Outside the measured part: agree on when the last rank finished, so one overrun (a rank
    // descheduled) moves the schedule instead of making every later window late.
    latest_end[0] = elapsed_us(Clock::time_point{}, end) + clock.offset_us;
    bootstrap.allreduce_max(latest_end);
    start_common = next_window_start_us(start_common, out.window_us, latest_end[0]);
    if (timed.stop_requested()) return std::nullopt;
  }
  bootstrap.allreduce_max(combined);
  out.samples_us.assign(combined.begin(), combined.begin() + static_cast<std::ptrdiff_t>(n));
  out.late_windows = static_cast<std::int64_t>(
      std::count_if(combined.begin() + static_cast<std::ptrdiff_t>(n), combined.end(),
                    [](double late) { return late != 0; }));
  return out;
}

}  // namespace

const char* to_string(TimingMethod method) {
  switch (method) {
    case TimingMethod::iteration:
      return "iteration";
    case TimingMethod::back_to_back:
      return "back-to-back";
    case TimingMethod::window:
      return "window";
  }
  return "?";
}

std::optional<TimingMethod> parse_timing_method(std::string_view text) {
  for (const auto m : {TimingMethod::iteration, TimingMethod::back_to_back, TimingMethod::window}) {
    if (text == to_string(m)) return m;
  }
  return std::nullopt;
}

std::string timing_method_names() {
  return "iteration, back-to-back, window";
}

std::int64_t next_batch_iterations(std::int64_t remaining, double per_iteration_us,
                                   double target_us) {
  if (remaining <= 0) return 0;
  if (!(per_iteration_us > 0)) return 1;
  const double fit = std::floor(target_us / per_iteration_us);
  if (fit >= static_cast<double>(remaining)) return remaining;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(fit));
}

double back_to_back_sample_us(std::span<const double> rank_batch_us, std::int64_t iterations) {
  if (rank_batch_us.empty() || iterations <= 0) {
    throw std::invalid_argument("back-to-back sample: no ranks or no iterations");
  }
  const double sum = std::accumulate(rank_batch_us.begin(), rank_batch_us.end(), 0.0);
  return sum / static_cast<double>(rank_batch_us.size()) / static_cast<double>(iterations);
}

std::vector<double> expand_batches(std::span<const double> batch_sample_us,
                                   std::span<const std::int64_t> batch_iterations) {
  if (batch_sample_us.size() != batch_iterations.size()) {
    throw std::invalid_argument("expand_batches: one iteration count per batch sample");
  }
  std::vector<double> out;
  for (std::size_t b = 0; b < batch_sample_us.size(); ++b)
    out.insert(out.end(), static_cast<std::size_t>(batch_iterations[b]), batch_sample_us[b]);
  return out;
}

double plan_window_us(double warmup_iteration_us, double clock_error_us) {
  return kWindowMargin * std::max(0.0, warmup_iteration_us) + 2 * std::max(0.0, clock_error_us) +
         kWindowFloorUs;
}

double next_window_start_us(double start_us, double window_us, double latest_end_us) {
  return std::max(start_us + window_us, latest_end_us + window_us / 2);
}

double typical_warmup_us(std::span<const double> warmup_iteration_us) {
  if (warmup_iteration_us.empty()) return 0;
  if (warmup_iteration_us.size() == 1) return warmup_iteration_us[0];
  std::vector<double> rest(warmup_iteration_us.begin() + 1, warmup_iteration_us.end());
  return median_of(std::move(rest));
}

ClockOffset estimate_offset(std::span<const PingPong> samples) {
  if (samples.empty()) throw std::invalid_argument("clock offset: no ping-pongs");
  const PingPong* best = nullptr;
  double best_rtt = std::numeric_limits<double>::infinity();
  for (const auto& s : samples) {
    const double rtt = s.received_us - s.sent_us;
    if (rtt < best_rtt) {
      best_rtt = rtt;
      best = &s;
    }
  }
  return {best->peer_us - (best->sent_us + best->received_us) / 2, std::max(0.0, best_rtt) / 2};
}

ClockOffset synchronise_clocks(Bootstrap& bootstrap, int pingpongs) {
  const int me = bootstrap.rank();
  ClockOffset mine;
  if (me == 0) {
    // Serve every other rank in turn: receive a ping, stamp it at once, answer.
    for (int peer = 1; peer < bootstrap.size(); ++peer) {
      for (int p = 0; p < pingpongs; ++p) {
        double stamp = 0;
        bootstrap.receive(std::as_writable_bytes(std::span<double>(&stamp, 1)), peer);
        stamp = now_us();
        bootstrap.send(std::as_bytes(std::span<const double>(&stamp, 1)), peer);
      }
    }
  } else {
    std::vector<PingPong> samples(static_cast<std::size_t>(pingpongs));
    for (auto& s : samples) {
      s.sent_us = now_us();
      bootstrap.send(std::as_bytes(std::span<const double>(&s.sent_us, 1)), 0);
      bootstrap.receive(std::as_writable_bytes(std::span<double>(&s.peer_us, 1)), 0);
      s.received_us = now_us();
    }
    mine = estimate_offset(samples);
  }
  return mine;
}

std::optional<TimedPoint> run_timed(TimingMethod method, Bootstrap& bootstrap,
                                    const TimedCall& timed, std::int64_t iterations,
                                    const WarmupTimes& warmup) {
  switch (method) {
    case TimingMethod::iteration:
      return run_iteration(bootstrap, timed, iterations);
    case TimingMethod::back_to_back:
      return run_back_to_back(bootstrap, timed, iterations, warmup);
    case TimingMethod::window:
      return run_window(bootstrap, timed, iterations, warmup);
  }
  throw std::invalid_argument("unknown timing method");
}

}  // namespace fb
