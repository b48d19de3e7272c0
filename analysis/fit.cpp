// Weighted linear least squares by Householder QR (analysis/fit.hpp).
//
// With W the diagonal of weights, the fit minimises |W^1/2 (y - X beta)|^2: every row and its
// y are scaled by sqrt(w), the scaled X is reduced to R by reflections, and R beta = Q^T y is
// solved by back substitution. The covariance of beta is s^2 (R^T R)^-1 = s^2 R^-1 R^-T with
// s^2 the weighted residual sum of squares over n - p.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/fit.hpp"
#include "analysis/stats.hpp"
#include "analysis/stats_checks.hpp"

namespace fb::analysis {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Column-major n x p matrix.
struct Matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> values;
  double& at(std::size_t r, std::size_t c) { return values[c * rows + r]; }
  [[nodiscard]] double at(std::size_t r, std::size_t c) const { return values[c * rows + r]; }
};

void check_inputs(const std::vector<std::vector<double>>& x, std::span<const double> y,
                  std::span<const double> weights, double level) {
  if (x.empty()) throw std::invalid_argument("fit_linear: no observations");
  const std::size_t width = x.front().size();
  if (width == 0) throw std::invalid_argument("fit_linear: rows have no columns");
  for (std::size_t r = 0; r < x.size(); ++r) {
    if (x[r].size() != width)
      throw std::invalid_argument("fit_linear: row " + std::to_string(r) + " has " +
                                  std::to_string(x[r].size()) + " columns, row 0 has " +
                                  std::to_string(width));
    for (std::size_t c = 0; c < width; ++c)
      if (!std::isfinite(x[r][c]))
        throw std::invalid_argument("fit_linear: x[" + std::to_string(r) + "][" +
                                    std::to_string(c) + "] is not finite (" +
                                    stats_checks::number_text(x[r][c]) + ")");
  }
  if (x.size() < width)
    throw std::invalid_argument("fit_linear: " + std::to_string(x.size()) +
                                " rows are too few for " + std::to_string(width) + " columns");
  if (y.size() != x.size())
    throw std::invalid_argument("fit_linear: " + std::to_string(y.size()) + " values of y for " +
                                std::to_string(x.size()) + " rows");
  stats_checks::check_samples(y, "fit_linear", "y");
  if (!weights.empty()) {
    if (weights.size() != x.size())
      throw std::invalid_argument("fit_linear: " + std::to_string(weights.size()) +
                                  " weights for " + std::to_string(x.size()) + " rows");
    for (std::size_t r = 0; r < weights.size(); ++r)
      if (!(weights[r] > 0) || !std::isfinite(weights[r]))
        throw std::invalid_argument("fit_linear: weights[" + std::to_string(r) +
                                    "] = " + stats_checks::number_text(weights[r]) +
                                    " is not positive and finite");
  }
  stats_checks::check_level(level, "fit_linear");
}

// Reduces `a` to upper-triangular R in place (R in its top p rows) and applies the same
// reflections to `rhs`. Throws when a column is (numerically) a combination of the columns
// before it: what is left of it after removing them is tiny against its own norm, which
// does not depend on the column's scale.
void householder_qr(Matrix& a, std::vector<double>& rhs) {
  const std::size_t n = a.rows;
  const std::size_t p = a.cols;
  const double tolerance =
      16 * static_cast<double>(std::max(n, p)) * std::numeric_limits<double>::epsilon();
  for (std::size_t k = 0; k < p; ++k) {
    double column_norm = 0;
    for (std::size_t r = 0; r < n; ++r)
      column_norm = std::hypot(column_norm, a.at(r, k));
    double rest = 0;
    for (std::size_t r = k; r < n; ++r)
      rest = std::hypot(rest, a.at(r, k));
    if (column_norm == 0)
      throw std::invalid_argument("fit_linear: column " + std::to_string(k) +
                                  " is zero in every row");
    if (rest <= tolerance * column_norm)
      throw std::invalid_argument(
          "fit_linear: column " + std::to_string(k) +
          " is a linear combination of the columns before it (rank deficient)");
    // v = a_k - alpha e_k with alpha of the opposite sign to a_kk (no cancellation).
    const double alpha = a.at(k, k) > 0 ? -rest : rest;
    std::vector<double> v(n - k);
    for (std::size_t r = k; r < n; ++r)
      v[r - k] = a.at(r, k);
    v[0] -= alpha;
    double v_squared = 0;
    for (const double value : v)
      v_squared += value * value;
    const auto reflect = [&](auto&& element) {
      double dot = 0;
      for (std::size_t r = k; r < n; ++r)
        dot += v[r - k] * element(r);
      const double scale = 2 * dot / v_squared;
      for (std::size_t r = k; r < n; ++r)
        element(r) -= scale * v[r - k];
    };
    a.at(k, k) = alpha;
    for (std::size_t r = k + 1; r < n; ++r)
      a.at(r, k) = 0;
    for (std::size_t c = k + 1; c < p; ++c)
      reflect([&](std::size_t r) -> double& { return a.at(r, c); });
    reflect([&](std::size_t r) -> double& { return rhs[r]; });
  }
}

// R^-1 of the upper-triangular top p x p block of `r`.
std::vector<std::vector<double>> invert_upper(const Matrix& r) {
  const std::size_t p = r.cols;
  std::vector<std::vector<double>> inverse(p, std::vector<double>(p, 0.0));
  for (std::size_t c = 0; c < p; ++c) {
    inverse[c][c] = 1 / r.at(c, c);
    for (std::size_t i = c; i-- > 0;) {
      double sum = 0;
      for (std::size_t m = i + 1; m <= c; ++m)
        sum += r.at(i, m) * inverse[m][c];
      inverse[i][c] = -sum / r.at(i, i);
    }
  }
  return inverse;
}

// A column constant over the rows (and not zero) makes the model one with an intercept,
// whose R^2 compares with the (weighted) mean; without one it compares with zero, as R's
// summary.lm does.
bool has_intercept(const std::vector<std::vector<double>>& x) {
  for (std::size_t c = 0; c < x.front().size(); ++c) {
    const double first = x.front()[c];
    if (first == 0) continue;
    bool constant = true;
    for (const auto& row : x)
      constant = constant && row[c] == first;
    if (constant) return true;
  }
  return false;
}

}  // namespace

LinearFit fit_linear(const std::vector<std::vector<double>>& x, std::span<const double> y,
                     std::span<const double> weights, double level) {
  check_inputs(x, y, weights, level);
  const std::size_t n = x.size();
  const std::size_t p = x.front().size();
  const auto weight = [&](std::size_t r) { return weights.empty() ? 1.0 : weights[r]; };

  Matrix a{n, p, std::vector<double>(n * p)};
  std::vector<double> rhs(n);
  for (std::size_t r = 0; r < n; ++r) {
    const double root = std::sqrt(weight(r));
    for (std::size_t c = 0; c < p; ++c)
      a.at(r, c) = root * x[r][c];
    rhs[r] = root * y[r];
  }
  householder_qr(a, rhs);

  LinearFit fit;
  fit.n = n;
  fit.dof = n - p;
  fit.level = level;
  fit.beta.assign(p, 0.0);
  for (std::size_t i = p; i-- > 0;) {
    double sum = rhs[i];
    for (std::size_t c = i + 1; c < p; ++c)
      sum -= a.at(i, c) * fit.beta[c];
    fit.beta[i] = sum / a.at(i, i);
  }

  // Residuals from the original data (not the rotated right-hand side), so that they are
  // accurate to the data's precision.
  fit.residuals.resize(n);
  double weighted_rss = 0;
  double weight_sum = 0;
  double weighted_y_sum = 0;
  for (std::size_t r = 0; r < n; ++r) {
    double fitted = 0;
    for (std::size_t c = 0; c < p; ++c)
      fitted += x[r][c] * fit.beta[c];
    fit.residuals[r] = y[r] - fitted;
    weighted_rss += weight(r) * fit.residuals[r] * fit.residuals[r];
    weight_sum += weight(r);
    weighted_y_sum += weight(r) * y[r];
  }
  const double centre = has_intercept(x) ? weighted_y_sum / weight_sum : 0.0;
  double weighted_tss = 0;
  for (std::size_t r = 0; r < n; ++r)
    weighted_tss += weight(r) * (y[r] - centre) * (y[r] - centre);
  fit.r_squared = weighted_tss > 0 ? 1 - weighted_rss / weighted_tss : 1.0;

  const std::vector<std::vector<double>> r_inverse = invert_upper(a);
  fit.covariance.assign(p, std::vector<double>(p, kInfinity));
  fit.std_error.assign(p, kInfinity);
  fit.lower.assign(p, -kInfinity);
  fit.upper.assign(p, kInfinity);
  if (fit.dof == 0) {
    // As many parameters as observations: an exact fit that says nothing of the noise, so
    // the uncertainty is unbounded.
    fit.residual_std_error = 0;
    return fit;
  }
  const double variance = weighted_rss / static_cast<double>(fit.dof);
  fit.residual_std_error = std::sqrt(variance);
  const double t = student_t_quantile((1 + level) / 2, static_cast<double>(fit.dof));
  for (std::size_t i = 0; i < p; ++i) {
    for (std::size_t j = 0; j < p; ++j) {
      double sum = 0;  // (R^-1 R^-T)_ij; R^-1 is upper triangular
      for (std::size_t m = std::max(i, j); m < p; ++m)
        sum += r_inverse[i][m] * r_inverse[j][m];
      fit.covariance[i][j] = variance * sum;
    }
    fit.std_error[i] = std::sqrt(fit.covariance[i][i]);
    fit.lower[i] = fit.beta[i] - t * fit.std_error[i];
    fit.upper[i] = fit.beta[i] + t * fit.std_error[i];
  }
  return fit;
}

Prediction predict(const LinearFit& fit, std::span<const double> x, double weight) {
  const std::size_t p = fit.beta.size();
  if (x.size() != p)
    throw std::invalid_argument("predict: " + std::to_string(x.size()) + " values for a fit of " +
                                std::to_string(p) + " coefficients");
  stats_checks::check_samples(x, "predict", "x");
  if (!(weight > 0) || !std::isfinite(weight))
    throw std::invalid_argument("predict: weight " + stats_checks::number_text(weight) +
                                " is not positive and finite");
  if (fit.covariance.size() != p)
    throw std::invalid_argument("predict: the fit has no covariance (not from fit_linear)");
  Prediction prediction;
  for (std::size_t i = 0; i < p; ++i)
    prediction.value += x[i] * fit.beta[i];
  if (fit.dof == 0) {
    prediction.mean_lower = prediction.lower = -kInfinity;
    prediction.mean_upper = prediction.upper = kInfinity;
    return prediction;
  }
  double mean_variance = 0;  // x^T Cov x
  for (std::size_t i = 0; i < p; ++i)
    for (std::size_t j = 0; j < p; ++j)
      mean_variance += x[i] * fit.covariance[i][j] * x[j];
  mean_variance = std::max(mean_variance, 0.0);
  const double noise_variance = fit.residual_std_error * fit.residual_std_error / weight;
  const double t = student_t_quantile((1 + fit.level) / 2, static_cast<double>(fit.dof));
  const double mean_half = t * std::sqrt(mean_variance);
  const double new_half = t * std::sqrt(mean_variance + noise_variance);
  prediction.mean_lower = prediction.value - mean_half;
  prediction.mean_upper = prediction.value + mean_half;
  prediction.lower = prediction.value - new_half;
  prediction.upper = prediction.value + new_half;
  return prediction;
}

}  // namespace fb::analysis
