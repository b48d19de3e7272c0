// A verdict on one measured point from the confidence interval of a statistic, never from
// the point estimate alone (Hoefler and Belli, SC15): PASS when the pessimistic bound clears
// the level, FAIL when the optimistic bound misses it, INCONCLUSIVE otherwise.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "analysis/stats.hpp"

namespace fb::analysis {

// Ordered from best to worst: the verdict of a group of checks is the worst of them.
enum class Verdict { pass, warn, inconclusive, fail };
std::string_view to_string(Verdict v);  // "PASS", "WARN", "INCONCLUSIVE", "FAIL"
inline Verdict worst(Verdict a, Verdict b) {
  return a > b ? a : b;
}

struct Judgement {
  Verdict verdict = Verdict::inconclusive;
  std::optional<Interval> interval;  // of the statistic, in the samples' unit
  std::size_t samples = 0;
  std::string note;  // why INCONCLUSIVE when there is no interval
};

struct JudgeRule {
  bool higher_is_better = true;
  // The statistic as a quantile of the TIME distribution: 0.5 the median, 0.99 the p99.
  // For a rate (higher is better) the statistic is the rate at that time quantile, i.e. the
  // (1 - q) quantile of the rate samples: p99 judges the slow tail either way.
  double time_quantile = 0.5;
  double level = 0.95;
  double warn = 0;  // the stricter level
  double fail = 0;
};

// Judges `samples` (rates, or latencies in us) against the rule's levels.
// Higher is better, with the interval [lo, hi] of the statistic:
//   FAIL          hi < fail            (even the optimistic bound misses the fail level)
//   PASS          lo >= warn           (the pessimistic bound clears the warn level)
//   WARN          fail <= lo < warn    (clears the fail level, not shown to clear warn)
//   INCONCLUSIVE  lo < fail <= hi      (the interval straddles the fail level)
// Lower is better mirrors it (FAIL when lo > fail, PASS when hi <= warn, WARN when
// warn < hi <= fail). Too few samples for an interval at the level: INCONCLUSIVE, saying so.
Judgement judge(std::span<const double> samples, const JudgeRule& rule);

// "median", "p99", "p99.9": the name of a time quantile.
std::string statistic_name(double time_quantile);

}  // namespace fb::analysis
