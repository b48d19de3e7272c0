#include "analysis/qualify_judge.hpp"

#include <cmath>
#include <cstdio>

namespace fb::analysis {

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::pass:
      return "PASS";
    case Verdict::warn:
      return "WARN";
    case Verdict::inconclusive:
      return "INCONCLUSIVE";
    case Verdict::fail:
      return "FAIL";
  }
  return "?";
}

std::string statistic_name(double time_quantile) {
  if (time_quantile == 0.5) return "median";
  char text[32];
  std::snprintf(text, sizeof text, "p%g", time_quantile * 100);
  return text;
}

Judgement judge(std::span<const double> samples, const JudgeRule& rule) {
  Judgement j;
  j.samples = samples.size();
  char level[16];
  std::snprintf(level, sizeof level, "%g%%", rule.level * 100);
  if (samples.empty()) {
    j.note = "no samples";
    return j;
  }
  const double q = rule.higher_is_better ? 1 - rule.time_quantile : rule.time_quantile;
  j.interval = quantile_interval(samples, q, rule.level);
  if (!j.interval) {
    j.note = std::to_string(samples.size()) + " samples are too few for a " + level +
             " interval of the " + statistic_name(rule.time_quantile);
    return j;
  }
  const double lo = j.interval->lower;
  const double hi = j.interval->upper;
  if (rule.higher_is_better) {
    if (hi < rule.fail) {
      j.verdict = Verdict::fail;
    } else if (lo >= rule.warn) {
      j.verdict = Verdict::pass;
    } else if (lo >= rule.fail) {
      j.verdict = Verdict::warn;
    } else {
      j.verdict = Verdict::inconclusive;
    }
  } else {
    if (lo > rule.fail) {
      j.verdict = Verdict::fail;
    } else if (hi <= rule.warn) {
      j.verdict = Verdict::pass;
    } else if (hi <= rule.fail) {
      j.verdict = Verdict::warn;
    } else {
      j.verdict = Verdict::inconclusive;
    }
  }
  if (j.verdict == Verdict::inconclusive) {
    j.note = std::string("the ") + level + " interval straddles the fail level";
  }
  return j;
}

}  // namespace fb::analysis
