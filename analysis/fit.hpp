// Ordinary (optionally weighted) linear least squares with parameter and prediction intervals,
// the fitting tool of the performance models (analysis/model.hpp). Pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace fb::analysis {

// y ~ sum_k beta_k * x_k. Rows of `x` are observations; all rows have the same width.
struct LinearFit {
  std::vector<double> beta;       // fitted coefficients
  std::vector<double> std_error;  // their standard errors
  std::vector<double> lower;      // per coefficient, t interval at `level`
  std::vector<double> upper;
  std::vector<double> residuals;                // y - x beta, per observation (unweighted)
  std::vector<std::vector<double>> covariance;  // of beta
  double residual_std_error = 0;                // sqrt(weighted RSS / (n - p)); 0 when n == p
  double r_squared = 0;
  std::size_t n = 0;    // observations
  std::size_t dof = 0;  // n - p
  double level = 0.95;
};

// Fits by QR (Householder) for stability when columns differ by orders of magnitude
// (latency in us against time per byte). `weights` empty: all 1; otherwise one positive
// weight per row (e.g. 1 / y^2 to fit relative errors). Throws std::invalid_argument when
// there are fewer rows than columns, the widths differ, or the columns are linearly
// dependent (the message says which column). R^2 is centred on the weighted mean when a
// column is constant (an intercept), on zero otherwise (as R's summary.lm). With as many
// rows as columns (dof 0) the fit is exact but says nothing of the noise: standard errors
// and covariances are +infinity and the intervals (here and in predict) unbounded.
LinearFit fit_linear(const std::vector<std::vector<double>>& x, std::span<const double> y,
                     std::span<const double> weights = {}, double level = 0.95);

// The fitted mean at `x` with its confidence interval and the prediction interval of a new
// observation there (for a weighted fit, of one with weight `weight`).
struct Prediction {
  double value = 0;
  double mean_lower = 0, mean_upper = 0;
  double lower = 0, upper = 0;  // prediction interval
};
Prediction predict(const LinearFit& fit, std::span<const double> x, double weight = 1.0);

}  // namespace fb::analysis
