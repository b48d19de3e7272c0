// Weighted least squares against exact data and the closed forms of simple regression.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/fit.hpp"

namespace fb::analysis {
namespace {

template <typename Call>
std::string invalid_argument_message(Call call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// Rows {1, x} of a straight line with intercept.
std::vector<std::vector<double>> line_rows(const std::vector<double>& xs) {
  std::vector<std::vector<double>> rows;
  for (const double x : xs)
    rows.push_back({1.0, x});
  return rows;
}

TEST(AnalysisFit, ExactLineIsRecovered) {
  std::vector<double> xs;
  std::vector<double> ys;
  for (int i = 0; i < 10; ++i) {
    xs.push_back(i);
    ys.push_back(3 + 2.0 * i);
  }
  const LinearFit fit = fit_linear(line_rows(xs), ys);
  ASSERT_EQ(fit.beta.size(), 2u);
  EXPECT_NEAR(fit.beta[0], 3.0, 1e-13);
  EXPECT_NEAR(fit.beta[1], 2.0, 1e-14);
  for (const double residual : fit.residuals)
    EXPECT_NEAR(residual, 0.0, 1e-13);
  EXPECT_LT(fit.residual_std_error, 1e-13);
  EXPECT_NEAR(fit.r_squared, 1.0, 1e-15);
  EXPECT_EQ(fit.n, 10u);
  EXPECT_EQ(fit.dof, 8u);
  EXPECT_LT(fit.upper[1] - fit.lower[1], 1e-12);
}

// x = 1..6, y = 2.9, 5.2, 6.8, 9.1, 11.2, 12.8. By hand: xbar = 3.5, ybar = 8, Sxx = 17.5,
// Sxy = 34.9, slope 34.9 / 17.5 = 1.99428571, intercept 8 - 3.5 * slope = 1.02,
// RSS = 0.17942857, s = sqrt(RSS / 4) = 0.21179505, se(slope) = s / sqrt(Sxx) = 0.05062870,
// se(intercept) = s sqrt(1/6 + 3.5^2 / 17.5) = 0.19717046, cov = -xbar s^2 / Sxx =
// -0.00897143, t(0.975, 4) = 2.77644511, R^2 = Sxy^2 / (Sxx Syy) = 0.99742865.
TEST(AnalysisFit, NoisyLineMatchesTheClosedForms) {
  const std::vector<double> xs{1, 2, 3, 4, 5, 6};
  const std::vector<double> ys{2.9, 5.2, 6.8, 9.1, 11.2, 12.8};
  const LinearFit fit = fit_linear(line_rows(xs), ys);
  EXPECT_NEAR(fit.beta[0], 1.02, 1e-12);
  EXPECT_NEAR(fit.beta[1], 34.9 / 17.5, 1e-12);
  EXPECT_NEAR(fit.residual_std_error, 0.211795049179962, 1e-12);
  EXPECT_NEAR(fit.std_error[0], 0.1971704604553892, 1e-12);
  EXPECT_NEAR(fit.std_error[1], 0.050628700419055095, 1e-12);
  EXPECT_NEAR(fit.covariance[0][1], -0.008971428571428505, 1e-12);
  EXPECT_EQ(fit.covariance[0][1], fit.covariance[1][0]);
  EXPECT_NEAR(fit.lower[0], 0.47256704017903983, 1e-9);
  EXPECT_NEAR(fit.upper[0], 1.567432959820961, 1e-9);
  EXPECT_NEAR(fit.lower[1], 1.8537179068247032, 1e-9);
  EXPECT_NEAR(fit.upper[1], 2.134853521746725, 1e-9);
  EXPECT_NEAR(fit.r_squared, 0.9974286533185931, 1e-12);
  EXPECT_EQ(fit.dof, 4u);
  // Residuals are y - fitted, in the input order.
  EXPECT_NEAR(fit.residuals[0], 2.9 - (1.02 + 34.9 / 17.5), 1e-12);
  EXPECT_NEAR(fit.residuals[5], 12.8 - (1.02 + 6 * 34.9 / 17.5), 1e-12);
}

TEST(AnalysisFit, PredictionIntervalsMatchTheClosedFormsAndWidenAwayFromTheData) {
  const std::vector<double> xs{1, 2, 3, 4, 5, 6};
  const std::vector<double> ys{2.9, 5.2, 6.8, 9.1, 11.2, 12.8};
  const LinearFit fit = fit_linear(line_rows(xs), ys);
  // At x0 = 10: mean se = s sqrt(1/6 + 6.5^2 / 17.5), new-observation se = s sqrt(1 + 1/6 +
  // 6.5^2 / 17.5), both times t(0.975, 4).
  const Prediction far = predict(fit, std::vector<double>{1, 10});
  EXPECT_NEAR(far.value, 20.962857142857143, 1e-12);
  EXPECT_NEAR(far.mean_lower, 20.018155020317867, 1e-9);
  EXPECT_NEAR(far.mean_upper, 21.90755926539642, 1e-9);
  EXPECT_NEAR(far.lower, 19.85009032137919, 1e-9);
  EXPECT_NEAR(far.upper, 22.075623964335094, 1e-9);
  double previous_mean_width = 0;
  double previous_width = 0;
  for (const double x0 : {3.5, 6.0, 10.0, 100.0}) {
    const Prediction at = predict(fit, std::vector<double>{1, x0});
    const double mean_width = at.mean_upper - at.mean_lower;
    const double width = at.upper - at.lower;
    EXPECT_GT(mean_width, previous_mean_width) << x0;
    EXPECT_GT(width, previous_width) << x0;
    EXPECT_GT(width, mean_width) << x0;
    previous_mean_width = mean_width;
    previous_width = width;
  }
  // A new observation of weight 4 has half the noise standard deviation.
  const Prediction heavy = predict(fit, std::vector<double>{1, 10}, 4.0);
  EXPECT_LT(heavy.upper - heavy.lower, far.upper - far.lower);
  EXPECT_EQ(heavy.mean_upper, far.mean_upper);
}

TEST(AnalysisFit, IntegerWeightsActAsRepeatedRows) {
  // Weight 3 on a row gives the coefficients of that row present three times.
  const std::vector<double> xs{1, 2, 3, 4, 5};
  const std::vector<double> ys{1.1, 1.9, 3.2, 3.9, 5.3};
  const std::vector<double> weights{1, 3, 1, 1, 1};
  const LinearFit weighted = fit_linear(line_rows(xs), ys, weights);
  const LinearFit repeated = fit_linear(line_rows({1, 2, 2, 2, 3, 4, 5}),
                                        std::vector<double>{1.1, 1.9, 1.9, 1.9, 3.2, 3.9, 5.3});
  EXPECT_NEAR(weighted.beta[0], repeated.beta[0], 1e-12);
  EXPECT_NEAR(weighted.beta[1], repeated.beta[1], 1e-12);
  EXPECT_NEAR(weighted.r_squared, repeated.r_squared, 1e-12);
  // The unweighted fit differs: the weight did something.
  const LinearFit plain = fit_linear(line_rows(xs), ys);
  EXPECT_GT(std::fabs(plain.beta[0] - weighted.beta[0]), 1e-3);
  EXPECT_THROW(fit_linear(line_rows(xs), ys, std::vector<double>{1, 1}), std::invalid_argument);
}

TEST(AnalysisFit, ColumnsOrdersOfMagnitudeApart) {
  // Hockney: t = alpha + beta * bytes, alpha = 2 us, beta = 1e-4 us/byte (10 GB/s), bytes up
  // to 1 GiB; relative weights 1 / t^2 as a model fit uses them.
  std::vector<std::vector<double>> rows;
  std::vector<double> times_us;
  std::vector<double> weights;
  for (double bytes = 1; bytes <= 1073741824.0; bytes *= 4) {
    rows.push_back({1.0, bytes});
    const double t = 2 + 1e-4 * bytes;
    times_us.push_back(t);
    weights.push_back(1 / (t * t));
  }
  const LinearFit fit = fit_linear(rows, times_us, weights);
  EXPECT_NEAR(fit.beta[0] / 2, 1.0, 1e-10);
  EXPECT_NEAR(fit.beta[1] / 1e-4, 1.0, 1e-10);
}

TEST(AnalysisFit, AsManyRowsAsColumnsIsExactButUnbounded) {
  const LinearFit fit = fit_linear(line_rows({1, 2}), std::vector<double>{5, 7});
  EXPECT_NEAR(fit.beta[0], 3.0, 1e-14);
  EXPECT_NEAR(fit.beta[1], 2.0, 1e-14);
  EXPECT_EQ(fit.dof, 0u);
  EXPECT_EQ(fit.residual_std_error, 0.0);
  EXPECT_EQ(fit.upper[1], std::numeric_limits<double>::infinity());
  EXPECT_EQ(fit.lower[1], -std::numeric_limits<double>::infinity());
  const Prediction at = predict(fit, std::vector<double>{1, 3});
  EXPECT_NEAR(at.value, 9.0, 1e-13);
  EXPECT_EQ(at.upper, std::numeric_limits<double>::infinity());
}

TEST(AnalysisFit, WithoutInterceptRSquaredComparesWithZero) {
  // y = 2x + noise through the origin: R^2 = 1 - RSS / sum y^2 (R's summary.lm).
  const std::vector<std::vector<double>> rows{{1}, {2}, {3}};
  const std::vector<double> ys{2.1, 3.9, 6.1};
  const LinearFit fit = fit_linear(rows, ys);
  // slope = sum xy / sum x^2 = (2.1 + 7.8 + 18.3) / 14 = 28.2 / 14.
  const double slope = 28.2 / 14;
  EXPECT_NEAR(fit.beta[0], slope, 1e-14);
  double rss = 0;
  for (std::size_t i = 0; i < 3; ++i)
    rss += (ys[i] - slope * rows[i][0]) * (ys[i] - slope * rows[i][0]);
  EXPECT_NEAR(fit.r_squared, 1 - rss / (2.1 * 2.1 + 3.9 * 3.9 + 6.1 * 6.1), 1e-14);
}

TEST(AnalysisFit, ClearErrors) {
  const std::vector<double> ys{1, 2, 3, 4};
  // Column 2 = column 0 + column 1.
  EXPECT_EQ(invalid_argument_message([&] {
              fit_linear({{1, 1, 2}, {1, 2, 3}, {1, 3, 4}, {1, 4, 5}}, ys);
            }),
            "fit_linear: column 2 is a linear combination of the columns before it (rank "
            "deficient)");
  EXPECT_EQ(invalid_argument_message([&] {
              fit_linear({{1, 0}, {1, 0}, {1, 0}, {1, 0}}, ys);
            }),
            "fit_linear: column 1 is zero in every row");
  EXPECT_EQ(invalid_argument_message([] {
              fit_linear({{1, 1, 1}, {1, 2, 4}}, std::vector<double>{1, 2});
            }),
            "fit_linear: 2 rows are too few for 3 columns");
  EXPECT_EQ(invalid_argument_message([&] {
              fit_linear({{1, 1}, {1}, {1, 3}, {1, 4}}, ys);
            }),
            "fit_linear: row 1 has 1 columns, row 0 has 2");
  EXPECT_EQ(invalid_argument_message([&] {
              fit_linear(line_rows({1, 2, 3, 4}), ys, std::vector<double>{1, 0, 1, 1});
            }),
            "fit_linear: weights[1] = 0 is not positive and finite");
  EXPECT_EQ(invalid_argument_message([] {
              fit_linear(line_rows({1, 2, 3}), std::vector<double>{1, 2});
            }),
            "fit_linear: 2 values of y for 3 rows");
  EXPECT_EQ(invalid_argument_message([&] {
              fit_linear(line_rows({1, 2, 3, 4}), ys, {}, 1.5);
            }),
            "fit_linear: confidence level 1.5 is outside (0, 1)");
  const LinearFit fit = fit_linear(line_rows({1, 2, 3, 4}), ys);
  EXPECT_EQ(invalid_argument_message([&] { predict(fit, std::vector<double>{1}); }),
            "predict: 1 values for a fit of 2 coefficients");
  EXPECT_EQ(invalid_argument_message([&] {
              predict(fit, std::vector<double>{1, 2}, -1);
            }),
            "predict: weight -1 is not positive and finite");
}

}  // namespace
}  // namespace fb::analysis
