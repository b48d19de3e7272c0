// How a point's timed iterations are run and turned into samples: --timing.
//
//   iteration     (the default) the control step (harness/run_control.hpp) lines the ranks up
//                 before every call; each rank times its own call; an iteration's time is the
//                 maximum over ranks. Barrier exit skew is part of every sample.
//   back-to-back  as OSU and nccl-tests: after the control step (a barrier) a batch of k calls
//                 runs back to back; each rank divides its batch time by k, and the batch's
//                 time is the mean over ranks of that (OSU's reported average, nccl-tests'
//                 default `-a 1`). The n iterations are split into batches of about
//                 kBackToBackBatchTarget, so a stop request (checked by the control step
//                 between batches, outside the timed stretch) takes effect within one batch.
//   window        as LibSciBench and Hoefler & Belli (SC15): ranks agree on a common clock
//                 (ping-pongs with rank 0, the minimum round trip kept), then start iteration
//                 i at the agreed time t0 + i * W on that clock; a rank's sample runs from the
//                 window's start to the end of its call; an iteration's time is the maximum
//                 over ranks. After the call, outside the measured part but inside the window,
//                 the ranks exchange when the last of them finished (a window that overran
//                 moves the later ones back rather than making them all late) and run the
//                 control step. Windows some rank began its call in more than kWindowLateUs after
//                 they opened are counted as late.
//
// The pure parts (batch sizing, window planning, clock offsets, the statistics) are free
// functions so they can be tested without ranks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bootstrap.hpp"

namespace fb {

enum class TimingMethod { iteration, back_to_back, window };

const char* to_string(TimingMethod method);
std::optional<TimingMethod> parse_timing_method(std::string_view text);
// "iteration, back-to-back, window"
std::string timing_method_names();

// Back-to-back: the wall time one batch aims at (a stop request waits at most about this).
inline constexpr double kBackToBackBatchTargetUs = 100'000;
// Window: W = kWindowMargin x the median warm-up iteration (call plus twice the control step:
// a window holds the call, the schedule exchange and the control step; the first warm-up
// iteration left out; the slowest rank's median) + 2 x the clock-sync error + kWindowFloorUs.
// The median, not the slowest: one descheduled warm-up iteration would otherwise stretch every
// window of the point; a window that overruns is counted late and moves the schedule back.
inline constexpr double kWindowMargin = 2;
inline constexpr double kWindowFloorUs = 2;
// Window: a rank that begins its call more than this after its window opened started it late.
inline constexpr double kWindowLateUs = 1;
// Window: ping-pongs between rank 0 and every other rank per clock synchronisation.
inline constexpr int kClockSyncPingPongs = 32;

// ---- Pure parts ----------------------------------------------------------------------------

// Back-to-back: the next batch's iteration count, so one batch takes about `target_us` at
// `per_iteration_us` (unknown: <= 0, then one iteration), never more than `remaining`, at least 1.
std::int64_t next_batch_iterations(std::int64_t remaining, double per_iteration_us,
                                   double target_us);

// Back-to-back: one batch's time per iteration as the anchors combine it: the mean over ranks
// of (that rank's batch time / iterations). `rank_batch_us`: every rank's batch time.
double back_to_back_sample_us(std::span<const double> rank_batch_us, std::int64_t iterations);

// Back-to-back: one sample per iteration (samples_us has sum(iterations) entries): every
// iteration of a batch carries its batch's per-iteration time, so the samples' mean is the
// anchors' figure (mean over ranks of total time / n) and their median weighs every iteration.
std::vector<double> expand_batches(std::span<const double> batch_sample_us,
                                   std::span<const std::int64_t> batch_iterations);

// Window: the window length from the warm-up. `warmup_iteration_us`: typical_warmup_us's
// figure, the largest over ranks; `clock_error_us`: the clock synchronisation's error bound.
double plan_window_us(double warmup_iteration_us, double clock_error_us);

// Window: the next window's start (common clock) after the window that began at `start_us`,
// given when the last rank finished that window's call: W after this window's start, or half
// a window after that end (room for the two steps that follow the call) when that is later. A
// window that overran (a descheduled rank) thereby shifts the schedule instead of making every
// later window late.
double next_window_start_us(double start_us, double window_us, double latest_end_us);

// Window: the warm-up figure plan_window_us wants from this rank's per-iteration warm-up times
// (call plus twice the control step): the median after the first (the first pays for cold
// caches and connections); the only one when there is one; 0 when there are none.
double typical_warmup_us(std::span<const double> warmup_iteration_us);

// One ping-pong with the reference rank: this rank's clock when it sent and when the reply
// came back, and the reference's clock when it answered (microseconds).
struct PingPong {
  double sent_us = 0;
  double peer_us = 0;
  double received_us = 0;
};

// The reference clock minus this rank's clock, from the ping-pong with the smallest round
// trip, assuming the reply was stamped half way; the error bound is half that round trip
// (the true offset lies within offset +- error when clocks do not drift during the exchange).
struct ClockOffset {
  double offset_us = 0;
  double error_us = 0;
};
// Throws std::invalid_argument on no samples.
ClockOffset estimate_offset(std::span<const PingPong> samples);

// ---- The timed loops ----------------------------------------------------------------------

// What a timed loop needs from the runner.
struct TimedCall {
  std::function<void()> call;                             // one collective call
  std::function<std::optional<double>()> device_time_us;  // the last call's device time, if any
  std::function<bool()> stop_requested;  // the control step (collective): true = stop now
};

// This rank's warm-up, timed by the runner: per warm-up iteration, the call and the control
// step before it.
struct WarmupTimes {
  std::vector<double> call_us;
  std::vector<double> step_us;
};

struct TimedPoint {
  // One per timed iteration, the same on every rank (see the methods above).
  std::vector<double> samples_us;
  std::int64_t batches = 0;       // back-to-back: batches (timed stretches) run
  std::int64_t late_windows = 0;  // window: iterations some rank began late (kWindowLateUs)
  double window_us = 0;           // window: W
  double clock_error_us = 0;      // window: the largest clock-sync error bound over ranks
};

// Collective: runs `iterations` timed iterations with `method`. Empty when the control step
// said stop (the point is then abandoned).
std::optional<TimedPoint> run_timed(TimingMethod method, Bootstrap& bootstrap,
                                    const TimedCall& timed, std::int64_t iterations,
                                    const WarmupTimes& warmup);

// Collective: this rank's ClockOffset to rank 0 (rank 0: zero offset, zero error), from
// `pingpongs` exchanges per rank; ranks take turns with rank 0.
ClockOffset synchronise_clocks(Bootstrap& bootstrap, int pingpongs);

}  // namespace fb
