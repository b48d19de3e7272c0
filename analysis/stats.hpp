// Statistics for verdicts (Hoefler and Belli, "Scientific Benchmarking of Parallel Computing
// Systems", SC15): distribution-free confidence intervals of quantiles from order statistics,
// the Mann-Whitney rank test with Holm's correction, ratio intervals (Hodges-Lehmann on the
// log scale, bootstrap of the median ratio), two one-sided tests for equivalence, and the
// geometric mean of ratios. Pure functions over samples; nothing here reads files.
//
// Samples are times (microseconds) or rates; every function treats them as plain numbers.
// Functions taking a `level` want a two-sided confidence level in (0, 1), e.g. 0.95, and throw
// std::invalid_argument outside it or on empty or non-finite input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace fb::analysis {

// ---- distributions -------------------------------------------------------------------
double normal_cdf(double z);
double normal_quantile(double p);  // inverse of normal_cdf, p in (0, 1)
// Student's t with `dof` > 0 degrees of freedom.
double student_t_cdf(double t, double dof);
double student_t_quantile(double p, double dof);
// P(X <= k) for X ~ Binomial(n, p).
double binomial_cdf(std::int64_t k, std::int64_t n, double p);

// ---- location and spread ---------------------------------------------------------------
// Median (mean of the two middle values for an even count).
double median(std::span<const double> samples);
// Median absolute deviation from the median, scaled by 1.4826 so it estimates the standard
// deviation of normal data.
double mad(std::span<const double> samples);

// A confidence interval of an estimate.
struct Interval {
  double estimate = 0;
  double lower = 0;
  double upper = 0;
  double level = 0;  // the coverage actually achieved (>= the level asked for), e.g. 0.9512
};

// Distribution-free interval of the q-quantile (q = 0.5: the median) from order statistics:
// the sorted samples x(j) and x(k), j < k, whose binomial(n, q) coverage
// P(j <= B < k) is at least `level`, chosen as nearly symmetric about n*q as possible
// (Le Boudec, "Performance Evaluation of Computer and Communication Systems", Thm 2.1;
// Hoefler and Belli Sec. 3.1.3). Precisely: the narrowest pair whose tails P(B < j) and
// P(B >= k) are each at most (1 - level) / 2, so that each bound alone is a one-sided bound
// at (1 + level) / 2 (for the median: j + k = n + 1; 95 %: n = 10 gives x(2), x(9),
// n = 20 x(6), x(15), n = 100 x(40), x(61)). `estimate` is the sample quantile (median for q = 0.5,
// nearest rank otherwise). Empty when n is too small to reach the level (n < 6 for the
// median at 95%).
std::optional<Interval> quantile_interval(std::span<const double> samples, double q,
                                          double level = 0.95);
inline std::optional<Interval> median_interval(std::span<const double> samples,
                                               double level = 0.95) {
  return quantile_interval(samples, 0.5, level);
}

// ---- two-sample comparison ---------------------------------------------------------------
struct RankTest {
  double u = 0;        // Mann-Whitney U of the first sample (pairs a > b, ties count 1/2)
  double z = 0;        // standardised statistic (normal approximation); 0 when exact
  double p_value = 1;  // two-sided
  bool exact = false;  // exact null distribution (small samples without ties)
};
// Two-sided Mann-Whitney (Wilcoxon rank-sum) test. Exact when both samples have at most 50
// values and there are no ties; otherwise the normal approximation with the tie correction
// and a continuity correction (as R's wilcox.test).
RankTest mann_whitney(std::span<const double> a, std::span<const double> b);

// Holm's step-down adjustment: adjusted p-values, in the input order, each in [0, 1].
std::vector<double> holm_adjust(std::span<const double> p_values);

// The ratio of b to a (b/a, e.g. time_B / time_A) with a confidence interval.
// Hodges-Lehmann: the median of all pairwise differences log(b_j) - log(a_i), exponentiated,
// with the distribution-free (Moses) interval from the Mann-Whitney critical values. Needs
// positive samples. The critical value is exact when both samples have at most 50 values,
// from the normal approximation otherwise; `level` is the coverage achieved. Samples too
// small for the level (3 and 3 at 95 %) give the whole axis: lower 0, upper +infinity,
// level 1. Beyond 4e6 pairs the samples are thinned to evenly spaced order statistics (the
// smaller to at most 2000, the larger to what 4e6 pairs leave), and the interval comes from
// the thinned sizes (slightly wider).
Interval hodges_lehmann_ratio(std::span<const double> a, std::span<const double> b,
                              double level = 0.95);
// Percentile bootstrap of median(b) / median(a), `resamples` resamples, a fixed seed so a
// verdict is reproducible (SplitMix64, the same interval on every platform). Needs
// positive samples; `level` is the nominal level asked for.
Interval bootstrap_median_ratio(std::span<const double> a, std::span<const double> b,
                                double level = 0.95, int resamples = 2000,
                                std::uint64_t seed = 0x5eed);

// Two one-sided tests for equivalence of b and a within a relative margin (0.05: 5 %): the
// ratio b/a is equivalent when its (1 - 2 alpha) interval lies inside
// [1 / (1 + margin), 1 + margin]. `ratio90` is that interval (level 0.90 for alpha = 0.05).
bool equivalent_within(const Interval& ratio90, double margin);

// Geometric mean of ratios (per-point b/a ratios of a series, never raw rates), with a
// t interval on the mean of the log ratios; level as asked. A single ratio gives a
// degenerate interval equal to it.
Interval geometric_mean_ratio(std::span<const double> ratios, double level = 0.95);

}  // namespace fb::analysis
