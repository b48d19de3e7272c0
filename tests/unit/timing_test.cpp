// --timing: the pure parts (batch sizing, window planning, clock offsets, the statistics)
// with exact values, and the timed loops on an in-process world of two ranks for what does
// not depend on how fast this machine is (counts, agreement, stopping).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "harness/cli/options.hpp"
#include "harness/resume_check.hpp"
#include "harness/timing.hpp"
#include "tests/unit/thread_bootstrap.hpp"

namespace fb {
namespace {

TEST(Timing, MethodNamesRoundTrip) {
  for (const auto m : {TimingMethod::iteration, TimingMethod::back_to_back, TimingMethod::window}) {
    EXPECT_EQ(parse_timing_method(to_string(m)), m);
  }
  EXPECT_STREQ(to_string(TimingMethod::back_to_back), "back-to-back");
  EXPECT_FALSE(parse_timing_method("backtoback"));
  EXPECT_EQ(timing_method_names(), "iteration, back-to-back, window");
}

TEST(Timing, BatchesFitTheTarget) {
  // 0.5 us per call: all 20 iterations fit in 100 ms.
  EXPECT_EQ(next_batch_iterations(20, 0.5, 100'000), 20);
  // 4800 us per call (16 MiB): 20 per batch.
  EXPECT_EQ(next_batch_iterations(1000, 4800, 100'000), 20);
  // Slower than the target: one call per batch.
  EXPECT_EQ(next_batch_iterations(1000, 250'000, 100'000), 1);
  // Nothing known yet: one call.
  EXPECT_EQ(next_batch_iterations(1000, 0, 100'000), 1);
  EXPECT_EQ(next_batch_iterations(1000, std::nan(""), 100'000), 1);
  EXPECT_EQ(next_batch_iterations(0, 1, 100'000), 0);
}

TEST(Timing, BackToBackSampleIsTheMeanOverRanksOfTimePerIteration) {
  const std::vector<double> ranks{40.0, 60.0};  // each rank's time for 10 calls
  EXPECT_DOUBLE_EQ(back_to_back_sample_us(ranks, 10), 5.0);
  EXPECT_THROW(back_to_back_sample_us({}, 10), std::invalid_argument);
  EXPECT_THROW(back_to_back_sample_us(ranks, 0), std::invalid_argument);
}

TEST(Timing, ExpandedBatchesAverageToTotalOverIterations) {
  const std::vector<double> batch{1.0, 4.0};
  const std::vector<std::int64_t> iterations{3, 1};
  const auto samples = expand_batches(batch, iterations);
  EXPECT_EQ(samples, (std::vector<double>{1.0, 1.0, 1.0, 4.0}));
  // total time 3 x 1 + 1 x 4 = 7 over 4 iterations
  EXPECT_DOUBLE_EQ(std::accumulate(samples.begin(), samples.end(), 0.0) / 4, 7.0 / 4);
  EXPECT_THROW(expand_batches(batch, std::vector<std::int64_t>{1}), std::invalid_argument);
}

TEST(Timing, WindowFromTheWarmUp) {
  // The first warm-up iteration (cold) is left out; the median of the rest counts, so one
  // descheduled iteration (700) does not stretch every window.
  EXPECT_DOUBLE_EQ(typical_warmup_us(std::vector<double>{900, 3, 700, 4}), 4);
  EXPECT_DOUBLE_EQ(typical_warmup_us(std::vector<double>{7}), 7);
  EXPECT_DOUBLE_EQ(typical_warmup_us(std::vector<double>{}), 0);
  // 2 x 10 + 2 x 0.5 + 2
  EXPECT_DOUBLE_EQ(plan_window_us(10, 0.5), 23);
  EXPECT_DOUBLE_EQ(plan_window_us(0, 0), kWindowFloorUs);
}

TEST(Timing, AnOverrunWindowMovesTheScheduleBack) {
  // On time: the next window opens W after this one.
  EXPECT_DOUBLE_EQ(next_window_start_us(1000, 10, 1004), 1010);
  EXPECT_DOUBLE_EQ(next_window_start_us(1000, 10, 1005), 1010);
  // The last rank finished at 1500: the next window opens half a window after that.
  EXPECT_DOUBLE_EQ(next_window_start_us(1000, 10, 1500), 1505);
}

TEST(Timing, OffsetFromTheShortestRoundTrip) {
  // The reference clock runs 1000 us ahead. A slow, lopsided exchange (reply stamped 1 us after
  // sending, 20 us before it arrived) and a fast symmetric one: the fast one wins.
  const std::vector<PingPong> samples{
      {.sent_us = 0, .peer_us = 1001, .received_us = 21},
      {.sent_us = 100, .peer_us = 1101, .received_us = 102},
  };
  const auto clock = estimate_offset(samples);
  EXPECT_DOUBLE_EQ(clock.offset_us, 1000);
  EXPECT_DOUBLE_EQ(clock.error_us, 1);
  EXPECT_THROW(estimate_offset({}), std::invalid_argument);
}

TEST(Timing, ClocksOfOneProcessAgreeWithinTheErrorBound) {
  // Both ranks read the same clock, so the true offset is zero; the reply is stamped between
  // the ping's departure and the reply's arrival, so |offset| <= error always.
  ThreadWorld world(3);
  std::vector<ClockOffset> seen(3);
  world.run(
      [&](Bootstrap& b) { seen[static_cast<std::size_t>(b.rank())] = synchronise_clocks(b, 8); });
  EXPECT_EQ(seen[0].offset_us, 0);
  EXPECT_EQ(seen[0].error_us, 0);
  for (int r = 1; r < 3; ++r) {
    EXPECT_LE(std::abs(seen[static_cast<std::size_t>(r)].offset_us),
              seen[static_cast<std::size_t>(r)].error_us + 1e-3)
        << r;
  }
}

// A fake collective call that counts, a control step that stops at a chosen step (every rank
// agrees through a maximum, as the real one does).
struct Harness {
  std::atomic<int> calls{0};
  int stop_at_step = -1;  // the 0-based control step that says stop (-1: never)

  std::optional<TimedPoint> run(Bootstrap& b, TimingMethod method, std::int64_t iterations,
                                const WarmupTimes& warmup) {
    int steps = 0;
    TimedCall timed{[&] { ++calls; }, [] { return std::optional<double>(); },
                    [&] {
                      std::vector<double> flag{steps++ == stop_at_step ? 1.0 : 0.0};
                      b.allreduce_max(flag);
                      return flag[0] != 0;
                    }};
    return run_timed(method, b, timed, iterations, warmup);
  }
};

TEST(Timing, EveryMethodGivesOneSampleAnIterationTheSameOnEveryRank) {
  for (const auto method :
       {TimingMethod::iteration, TimingMethod::back_to_back, TimingMethod::window}) {
    Harness h;
    std::vector<std::optional<TimedPoint>> got(2);
    ThreadWorld(2).run([&](Bootstrap& b) {
      got[static_cast<std::size_t>(b.rank())] =
          h.run(b, method, 12, WarmupTimes{{5, 5, 5}, {1, 1, 1}});
    });
    ASSERT_TRUE(got[0] && got[1]) << to_string(method);
    EXPECT_EQ(h.calls.load(), 2 * 12) << to_string(method);
    EXPECT_EQ(got[0]->samples_us.size(), 12U) << to_string(method);
    EXPECT_EQ(got[0]->samples_us, got[1]->samples_us) << to_string(method);
    EXPECT_EQ(got[0]->late_windows, got[1]->late_windows);
    for (const double s : got[0]->samples_us)
      EXPECT_GE(s, 0) << to_string(method);
    if (method == TimingMethod::window) {
      EXPECT_LE(got[0]->late_windows, 12);
      // median warm-up after the first: call 5 + 2 x step 1
      EXPECT_DOUBLE_EQ(got[0]->window_us, plan_window_us(7, got[0]->clock_error_us));
    }
  }
}

TEST(Timing, BackToBackSplitsIntoBatchesSizedFromTheWarmUp) {
  // A warm-up call claimed to take 250 ms: the first batch is one call, so there are at least
  // two batches; every iteration runs once.
  Harness h;
  std::vector<std::optional<TimedPoint>> got(2);
  ThreadWorld(2).run([&](Bootstrap& b) {
    got[static_cast<std::size_t>(b.rank())] =
        h.run(b, TimingMethod::back_to_back, 5, WarmupTimes{{250'000}, {1}});
  });
  ASSERT_TRUE(got[0]);
  EXPECT_GE(got[0]->batches, 2);
  EXPECT_LE(got[0]->batches, 5);
  EXPECT_EQ(got[0]->batches, got[1]->batches);
  EXPECT_EQ(h.calls.load(), 2 * 5);
}

TEST(Timing, AStopBetweenBatchesAbandonsThePointOnEveryRank) {
  // The second control step says stop: only the first batch (one call, sized from a slow
  // warm-up) has run.
  Harness h;
  h.stop_at_step = 1;
  std::vector<int> empty(2, 0);
  ThreadWorld(2).run([&](Bootstrap& b) {
    empty[static_cast<std::size_t>(b.rank())] =
        h.run(b, TimingMethod::back_to_back, 5, WarmupTimes{{250'000}, {1}}) ? 0 : 1;
  });
  EXPECT_EQ(empty, (std::vector<int>{1, 1}));
  EXPECT_EQ(h.calls.load(), 2 * 1);
}

TEST(Timing, AStopInAWindowAbandonsThePointAfterThatCall) {
  for (const auto method : {TimingMethod::iteration, TimingMethod::window}) {
    Harness h;
    h.stop_at_step = 2;
    std::vector<int> empty(2, 0);
    ThreadWorld(2).run([&](Bootstrap& b) {
      empty[static_cast<std::size_t>(b.rank())] =
          h.run(b, method, 10, WarmupTimes{{5, 5}, {1, 1}}) ? 0 : 1;
    });
    EXPECT_EQ(empty, (std::vector<int>{1, 1})) << to_string(method);
    // iteration: the step comes before the call (2 calls ran); window: after it (3 ran).
    EXPECT_EQ(h.calls.load(), 2 * (method == TimingMethod::window ? 3 : 2)) << to_string(method);
  }
}

TEST(Timing, OptionSelectsTheMethod) {
  auto parse = [](std::vector<std::string> args) {
    args.insert(args.begin(), {"fabricbench", "run"});
    std::vector<const char*> argv;
    for (const auto& a : args)
      argv.push_back(a.c_str());
    return parse_command_line(static_cast<int>(argv.size()), argv.data());
  };
  auto out = parse({});
  ASSERT_TRUE(out.options);
  EXPECT_EQ(out.options->timing, TimingMethod::iteration);
  out = parse({"--timing", "back-to-back"});
  ASSERT_TRUE(out.options);
  EXPECT_EQ(out.options->timing, TimingMethod::back_to_back);
  out = parse({"--timing", "osu"});
  EXPECT_EQ(out.exit_code, kExitBadInput);
  EXPECT_EQ(out.message,
            "fabricbench: error: --timing: 'osu' is not one of iteration, back-to-back, window");
  out = parse({"--timing", "window", "-w", "0"});
  EXPECT_EQ(out.exit_code, kExitBadInput);
  EXPECT_EQ(out.message,
            "fabricbench: error: --timing window sizes its windows from the warm-up: give -w 1 "
            "or more");
}

TEST(Timing, ResumeRefusesAnotherTimingMethod) {
  results::FileData file;
  file.run.world_size = 2;
  results::SeriesData series;
  series.name = "allreduce.mpi.none.float32.sum";
  series.info.timing = "iteration";
  file.series.push_back(series);
  SeriesHeader planned{series.name, series.info};
  EXPECT_EQ(resume_mismatch(file, 2, {planned}), "");
  planned.info.timing = "back-to-back";
  EXPECT_EQ(resume_mismatch(file, 2, {planned}),
            "series allreduce.mpi.none.float32.sum: timing: the file has 'iteration', this "
            "command 'back-to-back'");
}

}  // namespace
}  // namespace fb
