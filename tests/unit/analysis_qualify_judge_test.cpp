// Verdicts from intervals on synthetic samples.
#include <gtest/gtest.h>

#include <vector>

#include "analysis/qualify_judge.hpp"

namespace fb::analysis {
namespace {

// 20 samples 90, 91, ..., 109: the median is 99.5; its 95% interval from order statistics is
// [x(6), x(15)] = [95, 104] (binomial(20, 1/2) coverage 0.9586).
std::vector<double> ramp(double from, int n = 20) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = from + static_cast<double>(i);
  return v;
}

JudgeRule rate(double warn, double fail) {
  JudgeRule r;
  r.higher_is_better = true;
  r.warn = warn;
  r.fail = fail;
  return r;
}

JudgeRule latency(double warn, double fail) {
  JudgeRule r;
  r.higher_is_better = false;
  r.warn = warn;
  r.fail = fail;
  return r;
}

TEST(QualifyJudge, IntervalOfTheMedian) {
  const auto j = judge(ramp(90), rate(80, 70));
  ASSERT_TRUE(j.interval);
  EXPECT_DOUBLE_EQ(j.interval->estimate, 99.5);
  EXPECT_DOUBLE_EQ(j.interval->lower, 95);
  EXPECT_DOUBLE_EQ(j.interval->upper, 104);
  EXPECT_NEAR(j.interval->level, 0.9586, 1e-4);
  EXPECT_EQ(j.samples, 20U);
}

TEST(QualifyJudge, RateVerdicts) {
  EXPECT_EQ(judge(ramp(90), rate(95, 90)).verdict, Verdict::pass);            // lower 95 >= warn 95
  EXPECT_EQ(judge(ramp(90), rate(96, 90)).verdict, Verdict::warn);            // fail <= 95 < warn
  EXPECT_EQ(judge(ramp(90), rate(110, 95)).verdict, Verdict::warn);           // lower == fail
  EXPECT_EQ(judge(ramp(90), rate(110, 100)).verdict, Verdict::inconclusive);  // 95 < 100 <= 104
  EXPECT_EQ(judge(ramp(90), rate(110, 104)).verdict, Verdict::inconclusive);
  EXPECT_EQ(judge(ramp(90), rate(110, 104.5)).verdict, Verdict::fail);  // upper 104 < 104.5
}

TEST(QualifyJudge, LatencyVerdictsMirror) {
  EXPECT_EQ(judge(ramp(90), latency(104, 110)).verdict, Verdict::pass);  // upper 104 <= warn
  EXPECT_EQ(judge(ramp(90), latency(100, 110)).verdict, Verdict::warn);
  EXPECT_EQ(judge(ramp(90), latency(90, 100)).verdict, Verdict::inconclusive);
  EXPECT_EQ(judge(ramp(90), latency(90, 94.9)).verdict, Verdict::fail);  // lower 95 > fail
}

TEST(QualifyJudge, TailStatistic) {
  // p99 of 1000 latencies 1..1000: the interval sits near the top.
  auto r = latency(2000, 3000);
  r.time_quantile = 0.99;
  const auto j = judge(ramp(1, 1000), r);
  ASSERT_TRUE(j.interval);
  EXPECT_GE(j.interval->lower, 980);
  EXPECT_LE(j.interval->upper, 1000);
  EXPECT_EQ(j.verdict, Verdict::pass);
  // For a rate, p99 is the slow tail: the 1st percentile of the rates.
  auto b = rate(0, 0);
  b.time_quantile = 0.99;
  b.warn = b.fail = 50;
  const auto k = judge(ramp(1, 1000), b);
  ASSERT_TRUE(k.interval);
  EXPECT_LE(k.interval->upper, 21);
  EXPECT_EQ(k.verdict, Verdict::fail);
  EXPECT_EQ(statistic_name(0.99), "p99");
  EXPECT_EQ(statistic_name(0.5), "median");
}

TEST(QualifyJudge, TooFewSamplesIsInconclusiveAndSaysSo) {
  const auto j = judge(ramp(90, 5), rate(1, 1));
  EXPECT_EQ(j.verdict, Verdict::inconclusive);
  EXPECT_FALSE(j.interval);
  EXPECT_EQ(j.note, "5 samples are too few for a 95% interval of the median");
  EXPECT_EQ(judge({}, rate(1, 1)).note, "no samples");
  EXPECT_EQ(judge(ramp(90, 6), rate(1, 1)).verdict, Verdict::pass);  // 6 are enough at 95%
}

TEST(QualifyJudge, MoreSamplesNarrowTheInterval) {
  // 20 samples straddle 99; 200 samples of the same spread around 100 clear it.
  std::vector<double> few, many;
  for (int i = 0; i < 20; ++i)
    few.push_back(95 + (i % 10));
  for (int i = 0; i < 200; ++i)
    many.push_back(99.6 + 0.1 * (i % 10));
  EXPECT_EQ(judge(few, rate(99, 99)).verdict, Verdict::inconclusive);
  EXPECT_EQ(judge(many, rate(99, 99)).verdict, Verdict::pass);
}

TEST(QualifyJudge, WorstOf) {
  EXPECT_EQ(worst(Verdict::pass, Verdict::warn), Verdict::warn);
  EXPECT_EQ(worst(Verdict::inconclusive, Verdict::warn), Verdict::inconclusive);
  EXPECT_EQ(worst(Verdict::inconclusive, Verdict::fail), Verdict::fail);
  EXPECT_EQ(to_string(Verdict::inconclusive), "INCONCLUSIVE");
}

}  // namespace
}  // namespace fb::analysis
