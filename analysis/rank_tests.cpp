// Two-sample comparison (analysis/stats.hpp): the Mann-Whitney rank test, Holm's adjustment,
// the Hodges-Lehmann ratio with its Moses interval and the bootstrap of the median ratio.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/stats.hpp"
#include "analysis/stats_checks.hpp"

namespace fb::analysis {
namespace {

// Both samples at most this large and no ties: the exact null distribution of U.
constexpr std::size_t kExactLimit = 50;
// Pairwise differences the Hodges-Lehmann estimate holds in memory at most (32 MB), and the
// size both samples are thinned to when each is larger than its square root.
constexpr std::size_t kMaxPairwiseDifferences = 4000000;
constexpr std::size_t kThinnedSide = 2000;

// P(U <= u), u = 0..m*n, of the Mann-Whitney statistic under the null hypothesis without
// ties. The number of orderings with U = u is the number of partitions of u into at most m
// parts, each at most n; counted by adding parts of each size in turn (only additions, so
// no cancellation; the counts reach C(100, 50) ~ 1e29, well inside a double).
std::vector<double> exact_u_cdf(std::size_t m, std::size_t n) {
  const std::size_t top = m * n;
  // ways[c][u]: partitions of u into exactly c parts, each at most the sizes added so far.
  std::vector<std::vector<double>> ways(m + 1, std::vector<double>(top + 1, 0.0));
  ways[0][0] = 1;
  for (std::size_t size = 1; size <= n; ++size)
    for (std::size_t c = 1; c <= m; ++c)
      for (std::size_t u = size; u <= c * size && u <= top; ++u)
        ways[c][u] += ways[c - 1][u - size];
  std::vector<double> cdf(top + 1, 0.0);
  double total = 0;
  for (std::size_t u = 0; u <= top; ++u) {
    for (std::size_t c = 0; c <= m; ++c)
      total += ways[c][u];
    cdf[u] = total;
  }
  for (double& value : cdf)
    value /= total;
  return cdf;
}

struct Ranked {
  double rank_sum_a = 0;  // sum of the midranks of the first sample
  double tie_term = 0;    // sum over groups of tied values of t^3 - t
  bool has_ties = false;
};

Ranked rank_samples(std::span<const double> a, std::span<const double> b) {
  struct Value {
    double x;
    bool from_a;
  };
  std::vector<Value> all;
  all.reserve(a.size() + b.size());
  for (const double x : a)
    all.push_back({x, true});
  for (const double x : b)
    all.push_back({x, false});
  std::sort(all.begin(), all.end(), [](const Value& l, const Value& r) { return l.x < r.x; });
  Ranked ranked;
  for (std::size_t first = 0; first < all.size();) {
    std::size_t last = first;
    while (last + 1 < all.size() && all[last + 1].x == all[first].x)
      ++last;
    const double tied = static_cast<double>(last - first + 1);
    const double midrank = static_cast<double>(first + last) / 2 + 1;
    for (std::size_t i = first; i <= last; ++i)
      if (all[i].from_a) ranked.rank_sum_a += midrank;
    if (tied > 1) {
      ranked.has_ties = true;
      ranked.tie_term += tied * tied * tied - tied;
    }
    first = last + 1;
  }
  return ranked;
}

// The k-th smallest (1-based) of `values`, reordering them.
double order_statistic(std::vector<double>& values, std::size_t k) {
  const auto position = values.begin() + static_cast<std::ptrdiff_t>(k - 1);
  std::nth_element(values.begin(), position, values.end());
  return *position;
}

// `count` evenly spaced order statistics of `samples` (the midpoints of count equal slices
// of the sorted sample): a deterministic thinning that keeps the distribution's shape.
std::vector<double> thin(std::span<const double> samples, std::size_t count) {
  std::vector<double> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end());
  if (count >= sorted.size()) return sorted;
  std::vector<double> thinned(count);
  const double step = static_cast<double>(sorted.size()) / static_cast<double>(count);
  for (std::size_t i = 0; i < count; ++i)
    thinned[i] = sorted[static_cast<std::size_t>((static_cast<double>(i) + 0.5) * step)];
  return thinned;
}

// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
// OOPSLA 2014): fast, statistically sound for resampling, and defined by these few lines, so
// that a seed gives the same interval with every compiler and library.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n): the high word of a 64 x 64-bit product (Lemire), bias below n / 2^64.
  std::size_t below(std::size_t n) {
    __extension__ using Wide = unsigned __int128;
    return static_cast<std::size_t>((static_cast<Wide>(next()) * n) >> 64);
  }

 private:
  std::uint64_t state_;
};

// The median of a resample with replacement of `sorted` (ascending): the draws are counted
// per position, and the middle ranks read off the sorted values, which costs a pass over
// the counts instead of a selection over the drawn values.
double resample_median(const std::vector<double>& sorted, SplitMix64& generator,
                       std::vector<std::uint32_t>& counts) {
  const std::size_t n = sorted.size();
  std::fill(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(n), 0U);
  for (std::size_t draw = 0; draw < n; ++draw)
    ++counts[generator.below(n)];
  // 0-based ranks of the middle values: n/2, and also n/2 - 1 for an even count.
  const std::size_t upper_rank = n / 2;
  const std::size_t lower_rank = n % 2 == 1 ? upper_rank : upper_rank - 1;
  std::size_t ranks_before = 0;
  double lower = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t ranks_through = ranks_before + counts[i];
    if (lower_rank >= ranks_before && lower_rank < ranks_through) lower = sorted[i];
    if (upper_rank < ranks_through) return (lower + sorted[i]) / 2;
    ranks_before = ranks_through;
  }
  return sorted.back();  // not reached: the counts add up to n
}

}  // namespace

RankTest mann_whitney(std::span<const double> a, std::span<const double> b) {
  stats_checks::check_samples(a, "mann_whitney", "a");
  stats_checks::check_samples(b, "mann_whitney", "b");
  const double m = static_cast<double>(a.size());
  const double n = static_cast<double>(b.size());
  const Ranked ranked = rank_samples(a, b);
  RankTest test;
  test.u = ranked.rank_sum_a - m * (m + 1) / 2;
  if (!ranked.has_ties && a.size() <= kExactLimit && b.size() <= kExactLimit) {
    const std::vector<double> cdf = exact_u_cdf(a.size(), b.size());
    const auto u = static_cast<std::size_t>(std::llround(test.u));
    // The smaller tail, doubled; P(U >= u) = P(U <= mn - u) by symmetry.
    const double tail = test.u > m * n / 2 ? cdf[a.size() * b.size() - u] : cdf[u];
    test.exact = true;
    test.p_value = std::min(1.0, 2 * tail);
    return test;
  }
  const double total = m + n;
  const double variance = m * n / 12 * ((total + 1) - ranked.tie_term / (total * (total - 1)));
  const double shift = test.u - m * n / 2;
  if (!(variance > 0)) {  // every value tied: nothing to tell the samples apart
    test.p_value = 1;
    return test;
  }
  const double continuity = shift > 0 ? 0.5 : shift < 0 ? -0.5 : 0.0;
  test.z = (shift - continuity) / std::sqrt(variance);
  test.p_value = std::min(1.0, 2 * normal_cdf(-std::fabs(test.z)));
  return test;
}

std::vector<double> holm_adjust(std::span<const double> p_values) {
  for (std::size_t i = 0; i < p_values.size(); ++i)
    if (!(p_values[i] >= 0 && p_values[i] <= 1))
      throw std::invalid_argument("holm_adjust: p_values[" + std::to_string(i) + "] = " +
                                  stats_checks::number_text(p_values[i]) + " is outside [0, 1]");
  const std::size_t count = p_values.size();
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t l, std::size_t r) { return p_values[l] < p_values[r]; });
  std::vector<double> adjusted(count);
  double running = 0;  // step-down: an adjusted p never falls below an earlier one
  for (std::size_t step = 0; step < count; ++step) {
    const std::size_t i = order[step];
    const double scaled = static_cast<double>(count - step) * p_values[i];
    running = std::max(running, std::min(1.0, scaled));
    adjusted[i] = running;
  }
  return adjusted;
}

Interval hodges_lehmann_ratio(std::span<const double> a, std::span<const double> b, double level) {
  stats_checks::check_samples(a, "hodges_lehmann_ratio", "a", true);
  stats_checks::check_samples(b, "hodges_lehmann_ratio", "b", true);
  stats_checks::check_level(level, "hodges_lehmann_ratio");
  std::vector<double> log_a;
  std::vector<double> log_b;
  if (a.size() * b.size() > kMaxPairwiseDifferences) {
    // Too many pairs to hold: the smaller sample keeps up to sqrt(limit) values and the
    // larger one what the limit leaves, each thinned to evenly spaced order statistics. The
    // interval then comes from the thinned sizes (wider than the full samples would give).
    const bool a_smaller = a.size() <= b.size();
    const std::size_t smaller = std::min(a.size(), b.size());
    const std::size_t smaller_kept = std::min(smaller, kThinnedSide);
    const std::size_t larger_kept = kMaxPairwiseDifferences / smaller_kept;
    log_a = thin(a, a_smaller ? smaller_kept : larger_kept);
    log_b = thin(b, a_smaller ? larger_kept : smaller_kept);
  } else {
    log_a.assign(a.begin(), a.end());
    log_b.assign(b.begin(), b.end());
  }
  for (double& x : log_a)
    x = std::log(x);
  for (double& x : log_b)
    x = std::log(x);
  const std::size_t m = log_a.size();
  const std::size_t n = log_b.size();
  std::vector<double> differences;
  differences.reserve(m * n);
  for (const double y : log_b)
    for (const double x : log_a)
      differences.push_back(y - x);
  const std::size_t count = differences.size();

  Interval interval;
  const double upper_middle = order_statistic(differences, count / 2 + 1);
  const double centre =
      count % 2 == 1 ? upper_middle : (order_statistic(differences, count / 2) + upper_middle) / 2;
  interval.estimate = std::exp(centre);

  // The Moses interval [d(k), d(mn + 1 - k)] covers the shift with probability
  // 1 - 2 P(U <= k - 1): the largest k whose tails fit in 1 - level.
  const double alpha = 1 - level;
  std::size_t k = 0;
  double coverage = 1;
  if (m <= kExactLimit && n <= kExactLimit) {
    const std::vector<double> cdf = exact_u_cdf(m, n);
    while (k < count / 2 && 2 * cdf[k] <= alpha)
      ++k;
    if (k > 0) coverage = 1 - 2 * cdf[k - 1];
  } else {
    const double mean = static_cast<double>(count) / 2;
    const double sigma =
        std::sqrt(static_cast<double>(count) * static_cast<double>(m + n + 1) / 12);
    const double z = normal_quantile(1 - alpha / 2);
    const double largest = std::floor(mean + 0.5 - z * sigma);
    if (largest >= 1) {
      k = static_cast<std::size_t>(largest);
      coverage = 1 - 2 * normal_cdf((static_cast<double>(k) - 0.5 - mean) / sigma);
    }
  }
  if (k == 0) {
    // Too few samples for the level: only the whole positive axis is certain to cover.
    interval.lower = 0;
    interval.upper = std::numeric_limits<double>::infinity();
    interval.level = 1;
    return interval;
  }
  interval.lower = std::exp(order_statistic(differences, k));
  interval.upper = std::exp(order_statistic(differences, count + 1 - k));
  interval.level = coverage;
  return interval;
}

Interval bootstrap_median_ratio(std::span<const double> a, std::span<const double> b, double level,
                                int resamples, std::uint64_t seed) {
  stats_checks::check_samples(a, "bootstrap_median_ratio", "a", true);
  stats_checks::check_samples(b, "bootstrap_median_ratio", "b", true);
  stats_checks::check_level(level, "bootstrap_median_ratio");
  if (resamples < 1)
    throw std::invalid_argument("bootstrap_median_ratio: resamples " + std::to_string(resamples) +
                                " must be at least 1");
  SplitMix64 generator(seed);
  std::vector<double> sorted_a(a.begin(), a.end());
  std::vector<double> sorted_b(b.begin(), b.end());
  std::sort(sorted_a.begin(), sorted_a.end());
  std::sort(sorted_b.begin(), sorted_b.end());
  std::vector<std::uint32_t> counts(std::max(a.size(), b.size()));
  std::vector<double> ratios(static_cast<std::size_t>(resamples));
  for (double& ratio : ratios) {
    const double median_a = resample_median(sorted_a, generator, counts);
    ratio = resample_median(sorted_b, generator, counts) / median_a;
  }
  std::sort(ratios.begin(), ratios.end());
  // Nearest-rank percentiles alpha/2 and 1 - alpha/2 (a small slack so that 2.5 % of 2000
  // is rank 50, not 51 by rounding).
  const double alpha = 1 - level;
  const double r = static_cast<double>(ratios.size());
  const auto percentile = [&](double fraction) {
    const double rank = std::ceil(fraction * r - 1e-9);
    return ratios[std::clamp<std::size_t>(static_cast<std::size_t>(std::max(rank, 1.0)), 1,
                                          ratios.size()) -
                  1];
  };
  Interval interval;
  interval.estimate = median(b) / median(a);
  interval.lower = percentile(alpha / 2);
  interval.upper = percentile(1 - alpha / 2);
  interval.level = level;
  return interval;
}

}  // namespace fb::analysis
