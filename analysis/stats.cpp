// Location, spread and one-sample intervals (analysis/stats.hpp): the median and MAD, the
// distribution-free interval of a quantile from order statistics, equivalence by interval
// inclusion and the geometric mean of ratios.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/stats.hpp"
#include "analysis/stats_checks.hpp"

namespace fb::analysis {
namespace {

double median_of_sorted(const std::vector<double>& sorted) {
  const std::size_t n = sorted.size();
  return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

// Median in place (reorders `values`), without a full sort.
double median_in_place(std::vector<double>& values) {
  const std::size_t n = values.size();
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), middle, values.end());
  const double upper = *middle;
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), middle);
  return (lower + upper) / 2;
}

// The order-statistic ranks (1-based) j < k of a quantile interval and its coverage.
struct RankWindow {
  std::size_t j = 0;
  std::size_t k = 0;
  double coverage = 0;
};

// The narrowest [x(j), x(k)] whose two tails, P(B < j) and P(B >= k) for B ~ binomial(n, q)
// (the count of samples below the true quantile), are each at most (1 - level) / 2: j as
// large and k as small as that allows. Balanced tails keep each bound valid on its own as a
// one-sided bound at (1 + level) / 2, which a pass/fail verdict on one bound relies on; for
// the median the interval is symmetric (j + k = n + 1). Both tails are summed from their
// own end so that equal tails compare equal.
std::optional<RankWindow> balanced_window(std::size_t n, double q, double level) {
  const double nd = static_cast<double>(n);
  const double log_q = std::log(q);
  const double log_1q = std::log1p(-q);
  const double log_n_factorial = std::lgamma(nd + 1);
  // Only counts within 40 standard deviations (and 60) of the mean carry mass: beyond, the
  // Bernstein bound puts the tails below e^-90, far under any level a double can state.
  const double reach = 40 * std::sqrt(nd * q * (1 - q)) + 60;
  const auto first = static_cast<std::size_t>(std::max(0.0, std::floor(nd * q - reach)));
  const auto last = static_cast<std::size_t>(std::min(nd, std::ceil(nd * q + reach)));
  std::vector<double> pmf(last - first + 1);  // pmf[i - first] = P(B = i)
  for (std::size_t i = first; i <= last; ++i) {
    const double id = static_cast<double>(i);
    pmf[i - first] = std::exp(log_n_factorial - (std::lgamma(id + 1) + std::lgamma(nd - id + 1)) +
                              id * log_q + (nd - id) * log_1q);
  }
  const double tail_allowed = (1 - level) / 2;
  // Lower tail: the largest j with P(B < j) <= tail_allowed.
  std::size_t j = first;
  double below = 0;  // P(B < j)
  while (j < last && below + pmf[j - first] <= tail_allowed) {
    below += pmf[j - first];
    ++j;
  }
  // Upper tail: the smallest k with P(B >= k) <= tail_allowed.
  std::size_t k = last + 1;
  double above = 0;  // P(B >= k)
  while (k > first + 1 && above + pmf[k - 1 - first] <= tail_allowed) {
    above += pmf[k - 1 - first];
    --k;
  }
  if (j < 1 || k > n || j >= k) return std::nullopt;
  return RankWindow{j, k, 1 - below - above};
}

}  // namespace

double median(std::span<const double> samples) {
  stats_checks::check_samples(samples, "median", "samples");
  std::vector<double> values(samples.begin(), samples.end());
  return median_in_place(values);
}

double mad(std::span<const double> samples) {
  stats_checks::check_samples(samples, "mad", "samples");
  std::vector<double> values(samples.begin(), samples.end());
  const double centre = median_in_place(values);
  for (double& value : values)
    value = std::fabs(value - centre);
  // 1 / Phi^-1(3/4): the MAD of normal data times this estimates its standard deviation.
  constexpr double kNormalConsistency = 1.4826;
  return kNormalConsistency * median_in_place(values);
}

std::optional<Interval> quantile_interval(std::span<const double> samples, double q, double level) {
  stats_checks::check_samples(samples, "quantile_interval", "samples");
  if (!(q > 0 && q < 1))
    throw std::invalid_argument("quantile_interval: quantile " + stats_checks::number_text(q) +
                                " is outside (0, 1)");
  stats_checks::check_level(level, "quantile_interval");
  std::vector<double> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  const std::optional<RankWindow> window = balanced_window(n, q, level);
  if (!window) return std::nullopt;
  Interval interval;
  if (q == 0.5) {
    interval.estimate = median_of_sorted(sorted);
  } else {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
    interval.estimate = sorted[std::clamp<std::size_t>(rank, 1, n) - 1];
  }
  interval.lower = sorted[window->j - 1];
  interval.upper = sorted[window->k - 1];
  interval.level = window->coverage;
  return interval;
}

bool equivalent_within(const Interval& ratio90, double margin) {
  if (!(margin > 0) || !std::isfinite(margin))
    throw std::invalid_argument("equivalent_within: margin " + stats_checks::number_text(margin) +
                                " must be positive and finite");
  if (std::isnan(ratio90.lower) || std::isnan(ratio90.upper) || ratio90.lower > ratio90.upper)
    throw std::invalid_argument("equivalent_within: interval [" +
                                stats_checks::number_text(ratio90.lower) + ", " +
                                stats_checks::number_text(ratio90.upper) + "] is not an interval");
  // Both one-sided tests reject at alpha exactly when the (1 - 2 alpha) interval lies inside
  // the equivalence margins.
  return ratio90.lower >= 1 / (1 + margin) && ratio90.upper <= 1 + margin;
}

Interval geometric_mean_ratio(std::span<const double> ratios, double level) {
  stats_checks::check_samples(ratios, "geometric_mean_ratio", "ratios", true);
  stats_checks::check_level(level, "geometric_mean_ratio");
  const std::size_t n = ratios.size();
  double sum = 0;
  for (const double ratio : ratios)
    sum += std::log(ratio);
  const double mean = sum / static_cast<double>(n);
  Interval interval;
  interval.estimate = std::exp(mean);
  interval.lower = interval.estimate;
  interval.upper = interval.estimate;
  interval.level = level;
  if (n < 2) return interval;
  double squares = 0;
  for (const double ratio : ratios) {
    const double deviation = std::log(ratio) - mean;
    squares += deviation * deviation;
  }
  const double dof = static_cast<double>(n - 1);
  const double standard_error = std::sqrt(squares / dof / static_cast<double>(n));
  const double half_width = student_t_quantile((1 + level) / 2, dof) * standard_error;
  interval.lower = std::exp(mean - half_width);
  interval.upper = std::exp(mean + half_width);
  return interval;
}

}  // namespace fb::analysis
