#include "analysis/model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

namespace fb::analysis {

namespace {

Interval coefficient(const LinearFit& fit, std::size_t k) {
  return {fit.beta[k], fit.lower[k], fit.upper[k], fit.level};
}

std::vector<double> relative_weights(std::span<const double> y) {
  std::vector<double> w;
  w.reserve(y.size());
  for (double t : y)
    w.push_back(1.0 / (t * t));
  return w;
}

// A weighted line t = alpha + n beta through points [first, last).
struct Line {
  LinearFit fit;
  double sse_relative = 0;
};
Line fit_line(std::span<const SizeTime> points, double level) {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (const auto& p : points) {
    x.push_back({1.0, static_cast<double>(p.size_bytes)});
    y.push_back(p.time_us);
  }
  Line line{fit_linear(x, y, relative_weights(y), level), 0};
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double r = line.fit.residuals[i] / y[i];
    line.sse_relative += r * r;
  }
  return line;
}

HockneySegment segment_of(const Line& line, std::span<const SizeTime> points) {
  return {points.front().size_bytes, points.back().size_bytes, coefficient(line.fit, 0),
          coefficient(line.fit, 1),  line.fit.r_squared,       points.size()};
}

void add_residuals(std::vector<Residual>& out, const Line& line, std::span<const SizeTime> points) {
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double measured = points[i].time_us;
    const double fitted = measured - line.fit.residuals[i];
    out.push_back({0, points[i].size_bytes, measured, fitted, (measured - fitted) / measured});
  }
}

void check_time(double t_us, std::uint64_t size_bytes) {
  if (!std::isfinite(t_us) || t_us <= 0)
    throw std::invalid_argument("time " + std::to_string(t_us) + " us at " +
                                std::to_string(size_bytes) + " B is not a positive number");
}

// The formula's coefficients at (p, n) and the row of the design matrix.
topo::AlgorithmCost cost_at(const CollectiveFit& fit, std::int64_t p, std::uint64_t n) {
  auto cost = topo::algorithm_cost(fit.collective, fit.algorithm, p, static_cast<std::int64_t>(n),
                                   fit.parameters);
  if (!cost)
    throw std::invalid_argument("no cost formula for " + fit.collective + " " + fit.algorithm);
  return *cost;
}

// The design row of the fit's columns: a, b n, g n (alpha, beta, gamma).
std::vector<double> row_of(const topo::CostCoefficients& c, std::uint64_t n,
                           std::span<const std::size_t> columns) {
  const double bytes = static_cast<double>(n);
  const double full[3] = {c.a, c.b * bytes, c.g * bytes};
  std::vector<double> row;
  for (const auto k : columns)
    row.push_back(full[k]);
  return row;
}

constexpr const char* kParameterNames[3] = {"alpha", "beta", "gamma"};

}  // namespace

HockneyFit fit_hockney(std::span<const SizeTime> input, const BreakRule& rule, double level) {
  std::vector<SizeTime> points(input.begin(), input.end());
  std::sort(points.begin(), points.end(),
            [](const SizeTime& a, const SizeTime& b) { return a.size_bytes < b.size_bytes; });
  for (std::size_t i = 0; i < points.size(); ++i) {
    check_time(points[i].time_us, points[i].size_bytes);
    if (i > 0 && points[i].size_bytes == points[i - 1].size_bytes)
      throw std::invalid_argument("two points at " + std::to_string(points[i].size_bytes) + " B");
  }
  if (points.size() < 3)
    throw std::invalid_argument("an alpha-beta fit needs at least 3 sizes, got " +
                                std::to_string(points.size()));
  const std::span<const SizeTime> all(points);
  const Line single = fit_line(all, level);

  HockneyFit out;
  out.single_sse_relative = single.sse_relative;
  out.split_sse_relative = single.sse_relative;
  const std::size_t min_points = std::max<std::size_t>(rule.min_points, 3);
  std::optional<std::size_t> best_split;
  double best_sse = std::numeric_limits<double>::infinity();
  for (std::size_t split = min_points; split + min_points <= points.size(); ++split) {
    const double sse = fit_line(all.first(split), level).sse_relative +
                       fit_line(all.subspan(split), level).sse_relative;
    if (sse < best_sse) {
      best_sse = sse;
      best_split = split;
    }
  }
  // A line within about 1e-6 of every point needs no break (rounding, not protocols).
  const double exact_sse = 1e-12 * static_cast<double>(points.size());
  if (best_split && single.sse_relative > exact_sse &&
      best_sse * rule.min_improvement <= single.sse_relative) {
    const auto low = all.first(*best_split);
    const auto high = all.subspan(*best_split);
    const Line low_line = fit_line(low, level);
    const Line high_line = fit_line(high, level);
    out.segments = {segment_of(low_line, low), segment_of(high_line, high)};
    out.break_bytes = high.front().size_bytes;
    out.split_sse_relative = best_sse;
    add_residuals(out.residuals, low_line, low);
    add_residuals(out.residuals, high_line, high);
  } else {
    out.segments = {segment_of(single, all)};
    add_residuals(out.residuals, single, all);
  }
  return out;
}

CollectiveFit fit_collective(const std::string& collective, const std::string& algorithm,
                             const topo::CostParameters& parameters,
                             std::span<const CollectivePoint> points, double level) {
  CollectiveFit out;
  out.collective = collective;
  out.algorithm = algorithm;
  out.parameters = parameters;
  if (points.empty()) throw std::invalid_argument("no points to fit");

  std::vector<topo::CostCoefficients> coefficients;
  std::vector<double> y;
  std::set<std::int64_t> ranks;
  for (const auto& p : points) {
    check_time(p.time_us, p.size_bytes);
    if (p.ranks < 2)
      throw std::invalid_argument("a collective point needs at least 2 ranks, got " +
                                  std::to_string(p.ranks));
    const auto cost = cost_at(out, p.ranks, p.size_bytes);
    out.formula = cost.formula;
    coefficients.push_back(cost.coefficients);
    y.push_back(p.time_us);
    ranks.insert(p.ranks);
  }
  out.ranks_fitted.assign(ranks.begin(), ranks.end());

  // Is gamma a column of its own? Not when the formula has none, nor when g / b is the
  // same at every point (then only beta + (g/b) gamma can be known).
  bool any_gamma = false;
  for (const auto& c : coefficients)
    any_gamma = any_gamma || c.g != 0;
  // At a single rank count gamma is folded in too: g / b then varies only through the
  // chunk count (the tree's fill and drain), which does not set the two apart reliably; the
  // ratio of the point with the most bytes on the critical path is taken.
  bool gamma_column = false;
  if (any_gamma) {
    std::optional<double> ratio;
    bool constant = true;
    std::size_t largest = 0;
    for (std::size_t i = 0; i < coefficients.size(); ++i) {
      const auto& c = coefficients[i];
      const double bytes = static_cast<double>(points[i].size_bytes);
      if (c.b * bytes > coefficients[largest].b * static_cast<double>(points[largest].size_bytes))
        largest = i;
      if (c.b == 0) {
        constant = false;
        continue;
      }
      const double r = c.g / c.b;
      if (!ratio) ratio = r;
      constant = constant && std::fabs(r - *ratio) <= 1e-9 * std::max(1.0, std::fabs(*ratio));
    }
    gamma_column = !constant && ranks.size() >= 2;
    if (!gamma_column) {
      const auto& c = coefficients[largest];
      if (c.b == 0)
        throw std::invalid_argument(collective + " " + algorithm +
                                    ": no point moves bytes, so beta cannot be fitted");
      out.gamma_in_beta = c.g / c.b;
    }
  }
  out.columns = gamma_column ? std::vector<std::size_t>{0, 1, 2} : std::vector<std::size_t>{0, 1};
  const std::size_t unknowns = out.columns.size();
  if (points.size() <= unknowns)
    throw std::invalid_argument(collective + " " + algorithm + ": " +
                                std::to_string(points.size()) + " points cannot fit " +
                                std::to_string(unknowns) + " parameters with an interval");
  const auto weights = relative_weights(y);
  const auto fit_columns = [&] {
    std::vector<std::vector<double>> x;
    for (std::size_t i = 0; i < points.size(); ++i)
      x.push_back(row_of(coefficients[i], points[i].size_bytes, out.columns));
    try {
      out.fit = fit_linear(x, y, weights, level);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(collective + " " + algorithm +
                                  ": the points do not determine alpha, beta" +
                                  (gamma_column ? ", gamma" : "") + " (" + e.what() + ")");
    }
  };
  try {
    fit_columns();
  } catch (const std::invalid_argument&) {
    // alpha and beta cannot be told apart when every point is a whole number of full
    // chunks (a pipeline's a alpha + b n beta is then steps x (alpha + chunk beta)): hold
    // alpha at 0, its cost goes into beta.
    out.held_at_zero.push_back({"alpha", std::nullopt});
    out.columns.erase(out.columns.begin());
    fit_columns();
  }
  // Hold negative parameters at zero, the most significantly negative first.
  while (out.columns.size() > 1) {
    std::optional<std::size_t> worst;
    double worst_t = 0;
    for (std::size_t j = 0; j < out.columns.size(); ++j) {
      if (out.fit.beta[j] >= 0) continue;
      const double t = out.fit.std_error[j] > 0 ? out.fit.beta[j] / out.fit.std_error[j]
                                                : -std::numeric_limits<double>::infinity();
      if (!worst || t < worst_t) {
        worst = j;
        worst_t = t;
      }
    }
    if (!worst) break;
    out.held_at_zero.push_back(
        {kParameterNames[out.columns[*worst]], coefficient(out.fit, *worst)});
    out.columns.erase(out.columns.begin() + static_cast<std::ptrdiff_t>(*worst));
    fit_columns();
  }
  const Interval zero{0, 0, 0, level};
  out.alpha_us = zero;
  out.beta_us_per_byte = zero;
  if (gamma_column) out.gamma_us_per_byte = zero;
  for (std::size_t j = 0; j < out.columns.size(); ++j) {
    const auto value = coefficient(out.fit, j);
    switch (out.columns[j]) {
      case 0:
        out.alpha_us = value;
        break;
      case 1:
        out.beta_us_per_byte = value;
        break;
      default:
        out.gamma_us_per_byte = value;
        break;
    }
  }
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double fitted = y[i] - out.fit.residuals[i];
    out.residuals.push_back(
        {points[i].ranks, points[i].size_bytes, y[i], fitted, (y[i] - fitted) / y[i]});
  }
  return out;
}

TimePrediction predict_time(const CollectiveFit& fit, std::int64_t ranks,
                            std::uint64_t size_bytes) {
  if (ranks < 2)
    throw std::invalid_argument("predictions need at least 2 ranks, got " + std::to_string(ranks));
  const auto cost = cost_at(fit, ranks, size_bytes);
  const auto row = row_of(cost.coefficients, size_bytes, fit.columns);
  TimePrediction out;
  out.ranks = ranks;
  out.size_bytes = size_bytes;
  // Relative errors: a new observation at the predicted time t has weight 1 / t^2.
  double mean = 0;
  for (std::size_t k = 0; k < row.size(); ++k)
    mean += row[k] * fit.fit.beta[k];
  const double weight = mean > 0 ? 1.0 / (mean * mean) : 1.0;
  out.time_us = predict(fit.fit, row, weight);
  const double factor = topo::busbw_factor(fit.collective, ranks).value_or(1.0);
  const auto busbw = [&](double t_us) {
    return t_us > 0 ? static_cast<double>(size_bytes) / t_us / 1e3 * factor
                    : std::numeric_limits<double>::infinity();
  };
  out.busbw_GBps = busbw(out.time_us.value);
  out.busbw_lower_GBps = busbw(out.time_us.upper);
  out.busbw_upper_GBps = busbw(out.time_us.lower);
  return out;
}

std::vector<Crossover> find_crossovers(const CollectiveFit& a, const CollectiveFit& b,
                                       std::int64_t ranks, std::uint64_t min_bytes,
                                       std::uint64_t max_bytes) {
  std::vector<Crossover> out;
  if (min_bytes < 1) min_bytes = 1;
  if (max_bytes <= min_bytes) return out;
  const auto difference = [&](std::uint64_t n) {
    return predict_time(a, ranks, n).time_us.value - predict_time(b, ranks, n).time_us.value;
  };
  // Grid: 16 sizes per doubling, rounded to bytes, strictly increasing.
  std::vector<std::uint64_t> grid{min_bytes};
  const double step = std::pow(2.0, 1.0 / 16);
  for (double s = static_cast<double>(min_bytes) * step; s < static_cast<double>(max_bytes);
       s *= step) {
    const auto n = static_cast<std::uint64_t>(std::llround(s));
    if (n > grid.back()) grid.push_back(n);
  }
  if (grid.back() != max_bytes) grid.push_back(max_bytes);

  double previous = difference(grid.front());
  for (std::size_t i = 1; i < grid.size(); ++i) {
    const double current = difference(grid[i]);
    if ((previous < 0 && current > 0) || (previous > 0 && current < 0)) {
      // Invariant: the sign at lo is previous's, at hi current's.
      std::uint64_t lo = grid[i - 1], hi = grid[i];
      while (hi - lo > 1) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        const double d = difference(mid);
        if ((d < 0) == (previous < 0) && d != 0) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      // previous < 0: a faster below.
      out.push_back({ranks, hi, previous < 0 ? a.algorithm : b.algorithm,
                     previous < 0 ? b.algorithm : a.algorithm});
    }
    if (current != 0) previous = current;
  }
  return out;
}

}  // namespace fb::analysis
