// The statistics of the verdicts against published and hand-worked values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/stats.hpp"

namespace fb::analysis {
namespace {

// The message of the std::invalid_argument that `call` throws ("" when it throws none).
template <typename Call>
std::string invalid_argument_message(Call call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// P(j <= B < k) for B ~ Binomial(n, q), summed term by term: an independent check of the
// order-statistic intervals.
double binomial_window(std::size_t n, double q, std::size_t j, std::size_t k) {
  double sum = 0;
  for (std::size_t i = j; i < k; ++i) {
    const double id = static_cast<double>(i);
    const double nd = static_cast<double>(n);
    sum += std::exp(std::lgamma(nd + 1) - std::lgamma(id + 1) - std::lgamma(nd - id + 1) +
                    id * std::log(q) + (nd - id) * std::log1p(-q));
  }
  return sum;
}

std::vector<double> one_to(std::size_t n) {
  std::vector<double> values;
  for (std::size_t i = n; i >= 1; --i)  // descending: the functions must sort
    values.push_back(static_cast<double>(i));
  return values;
}

// ---- distributions -------------------------------------------------------------------------

TEST(AnalysisNormal, PublishedQuantilesAndCdf) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(normal_quantile(0.025), -1.959963984540054, 1e-12);
  EXPECT_NEAR(normal_quantile(0.95), 1.644853626951472, 1e-12);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-9);
  EXPECT_NEAR(normal_cdf(1.96), 0.9750021048517795, 1e-14);
  EXPECT_NEAR(normal_cdf(0), 0.5, 1e-16);
  EXPECT_EQ(normal_cdf(-std::numeric_limits<double>::infinity()), 0.0);
}

TEST(AnalysisNormal, QuantileInvertsTheCdfToFullPrecision) {
  for (const double p :
       {1e-300, 1e-12, 1e-5, 0.001, 0.02, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999999}) {
    const double z = normal_quantile(p);
    const double back = p > 0.5 ? 1 - normal_cdf(-z) : normal_cdf(z);
    EXPECT_NEAR(back / p, 1.0, 1e-13) << "p=" << p;
  }
}

TEST(AnalysisStudentT, PublishedQuantiles) {
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.228138851986274, 1e-10);
  EXPECT_NEAR(student_t_quantile(0.025, 10), -2.228138851986274, 1e-10);
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706204736174696, 1e-9);  // tan(0.475 pi)
  EXPECT_NEAR(student_t_quantile(0.95, 5), 2.015048373333024, 1e-10);
  EXPECT_NEAR(student_t_quantile(0.995, 30), 2.749995653567241, 1e-10);
  // Many degrees of freedom (the Cornish-Fisher branch from 2e4 on) against 40-digit values.
  EXPECT_NEAR(student_t_quantile(0.975, 1e4), 1.9602012398906263, 1e-13);
  EXPECT_NEAR(student_t_quantile(0.975, 1e5), 1.9599877075346096, 1e-13);
  EXPECT_NEAR(student_t_quantile(1e-10, 5e4), -6.3626600544373345, 1e-12);
  EXPECT_NEAR(student_t_cdf(-3, 1e6) / 0.0013499312707108985, 1.0, 1e-13);
  EXPECT_NEAR(student_t_quantile(0.975, std::numeric_limits<double>::infinity()),
              normal_quantile(0.975), 1e-15);
  EXPECT_EQ(student_t_quantile(0.5, 3), 0.0);
}

TEST(AnalysisStudentT, CdfClosedForms) {
  // dof 1 is the Cauchy distribution: 1/2 + atan(t) / pi.
  for (const double t : {-30.0, -1.0, 0.0, 0.5, 1.0, 7.0})
    EXPECT_NEAR(student_t_cdf(t, 1), 0.5 + std::atan(t) / std::numbers::pi, 1e-14) << t;
  // dof 2: 1/2 + t / (2 sqrt(2 + t^2)).
  for (const double t : {-4.0, -0.3, 0.0, 1.0, 2.5, 100.0})
    EXPECT_NEAR(student_t_cdf(t, 2), 0.5 + t / (2 * std::sqrt(2 + t * t)), 1e-14) << t;
  EXPECT_NEAR(student_t_cdf(2.228138851986274, 10), 0.975, 1e-13);
  // The quantile inverts the cdf far out in the tail, where relative precision matters.
  for (const double dof : {1.0, 2.5, 10.0, 200.0})
    for (const double p : {1e-12, 1e-4, 0.2, 0.9}) {
      const double t = student_t_quantile(p, dof);
      EXPECT_NEAR(student_t_cdf(t, dof) / p, 1.0, 1e-10) << "p=" << p << " dof=" << dof;
    }
}

TEST(AnalysisStudentT, RejectsBadArguments) {
  EXPECT_NE(
      invalid_argument_message([] { student_t_quantile(0.9, 0); }).find("degrees of freedom 0"),
      std::string::npos);
  EXPECT_NE(invalid_argument_message([] { student_t_quantile(1.0, 3); }).find("outside (0, 1)"),
            std::string::npos);
  EXPECT_THROW(student_t_cdf(std::nan(""), 3), std::invalid_argument);
  EXPECT_THROW(normal_quantile(0), std::invalid_argument);
}

TEST(AnalysisBinomial, SmallCasesByHand) {
  // Binomial(5, 0.3): P(X <= 2) = 0.7^5 + 5*0.3*0.7^4 + 10*0.09*0.343 = 0.83692.
  EXPECT_NEAR(binomial_cdf(2, 5, 0.3), 0.83692, 1e-14);
  // Binomial(10, 1/2): P(X <= 3) = (1 + 10 + 45 + 120) / 1024 = 176 / 1024.
  EXPECT_NEAR(binomial_cdf(3, 10, 0.5), 176.0 / 1024, 1e-15);
  // Binomial(3, 0.2): P(X <= 0) = 0.8^3.
  EXPECT_NEAR(binomial_cdf(0, 3, 0.2), 0.512, 1e-15);
  EXPECT_EQ(binomial_cdf(-1, 10, 0.5), 0.0);
  EXPECT_EQ(binomial_cdf(10, 10, 0.5), 1.0);
  EXPECT_EQ(binomial_cdf(3, 10, 0.0), 1.0);
  EXPECT_EQ(binomial_cdf(3, 10, 1.0), 0.0);
  // Large n against the term-by-term sum.
  EXPECT_NEAR(binomial_cdf(480, 1000, 0.5), binomial_window(1000, 0.5, 0, 481), 1e-12);
  EXPECT_THROW(binomial_cdf(1, -1, 0.5), std::invalid_argument);
  EXPECT_THROW(binomial_cdf(1, 3, 1.5), std::invalid_argument);
}

// ---- location and spread ----------------------------------------------------------------------

TEST(AnalysisLocation, MedianAndMad) {
  EXPECT_EQ(median(std::vector<double>{5, 1, 3}), 3.0);
  EXPECT_EQ(median(std::vector<double>{4, 1, 2, 3}), 2.5);
  EXPECT_EQ(median(std::vector<double>{7}), 7.0);
  // Deviations from 3: 2, 1, 0, 1, 97; their median 1; the outlier does not matter.
  EXPECT_DOUBLE_EQ(mad(std::vector<double>{1, 2, 3, 4, 100}), 1.4826);
  EXPECT_EQ(mad(std::vector<double>{2, 2, 2}), 0.0);
}

TEST(AnalysisLocation, RejectsEmptyAndNonFinite) {
  EXPECT_EQ(invalid_argument_message([] { median(std::vector<double>{}); }),
            "median: samples is empty");
  EXPECT_EQ(invalid_argument_message([] {
              mad(std::vector<double>{1, std::numeric_limits<double>::infinity()});
            }),
            "mad: samples[1] is not finite (inf)");
}

// ---- quantile intervals -----------------------------------------------------------------------

TEST(AnalysisQuantileInterval, MedianRanksMatchTheTables) {
  // The classical equal-tailed ranks at 95 % (Le Boudec, Thm 2.1): n = 10 -> x(2), x(9);
  // n = 20 -> x(6), x(15); n = 100 -> x(40), x(61). Samples 1..n make the values their own
  // ranks; the coverages are recomputed term by term.
  struct Case {
    std::size_t n, j, k;
  };
  for (const Case c : {Case{10, 2, 9}, Case{20, 6, 15}, Case{100, 40, 61}}) {
    const auto interval = median_interval(one_to(c.n));
    ASSERT_TRUE(interval.has_value()) << c.n;
    EXPECT_EQ(interval->lower, static_cast<double>(c.j)) << c.n;
    EXPECT_EQ(interval->upper, static_cast<double>(c.k)) << c.n;
    EXPECT_NEAR(interval->level, binomial_window(c.n, 0.5, c.j, c.k), 1e-12) << c.n;
    EXPECT_GE(interval->level, 0.95);
    EXPECT_EQ(interval->estimate, static_cast<double>(c.n + 1) / 2);
  }
  // By hand: n = 10 covers 1 - 2 (1 + 10) / 1024; n = 20 covers 1 - 2 * 21700 / 2^20.
  EXPECT_NEAR(median_interval(one_to(10))->level, 1 - 22.0 / 1024, 1e-14);
  EXPECT_NEAR(median_interval(one_to(20))->level, 1 - 43400.0 / 1048576, 1e-13);
}

TEST(AnalysisQuantileInterval, LargeSampleMatchesExactIntegerArithmetic) {
  // n = 10000: summing C(10000, i) / 2^10000 in exact rationals gives j = 4902, k = 5099,
  // coverage 0.9511670501036181 (Le Boudec's normal approximation: 5000 -+ 0.98 sqrt(n)).
  const auto interval = median_interval(one_to(10000));
  ASSERT_TRUE(interval.has_value());
  EXPECT_EQ(interval->lower, 4902.0);
  EXPECT_EQ(interval->upper, 5099.0);
  EXPECT_NEAR(interval->level, 0.9511670501036181, 1e-11);
}

TEST(AnalysisQuantileInterval, TooFewSamplesGiveNothing) {
  // [x(1), x(5)] of five covers 1 - 2/32 = 0.9375 < 0.95; six reach 1 - 2/64.
  EXPECT_FALSE(median_interval(one_to(5)).has_value());
  EXPECT_FALSE(median_interval(one_to(1)).has_value());
  const auto six = median_interval(one_to(6));
  ASSERT_TRUE(six.has_value());
  EXPECT_EQ(six->lower, 1.0);
  EXPECT_EQ(six->upper, 6.0);
  EXPECT_NEAR(six->level, 1 - 2.0 / 64, 1e-15);
  // A lower level needs fewer: five at 90 %.
  EXPECT_TRUE(median_interval(one_to(5), 0.90).has_value());
}

TEST(AnalysisQuantileInterval, BalancedTailsByBruteForce) {
  // The p99 of 1000 samples: each tail at most 2.5 %, and neither bound can move inward
  // without its tail exceeding 2.5 % (sums of the pmf, term by term).
  const std::size_t n = 1000;
  const double q = 0.99;
  const auto interval = quantile_interval(one_to(n), q, 0.95);
  ASSERT_TRUE(interval.has_value());
  const auto j = static_cast<std::size_t>(interval->lower);
  const auto k = static_cast<std::size_t>(interval->upper);
  EXPECT_LE(binomial_window(n, q, 0, j), 0.025);
  EXPECT_GT(binomial_window(n, q, 0, j + 1), 0.025);
  EXPECT_LE(binomial_window(n, q, k, n + 1), 0.025);
  EXPECT_GT(binomial_window(n, q, k - 1, n + 1), 0.025);
  EXPECT_NEAR(interval->level, binomial_window(n, q, j, k), 1e-10);
  EXPECT_GE(interval->level, 0.95);
  EXPECT_LT(j, 990u);
  EXPECT_GT(k, 990u);
  EXPECT_EQ(interval->estimate, 990.0);  // nearest rank: ceil(0.99 * 1000)
}

TEST(AnalysisQuantileInterval, P99NeedsEnoughSamplesForItsUpperTail) {
  // The upper bound can be no higher than x(n), whose tail P(B = n) = 0.99^n must be at most
  // 2.5 %: n >= ln 0.025 / ln 0.99 = 367.05.
  EXPECT_FALSE(quantile_interval(one_to(367), 0.99).has_value());
  const auto enough = quantile_interval(one_to(368), 0.99);
  ASSERT_TRUE(enough.has_value());
  EXPECT_EQ(enough->upper, 368.0);
  EXPECT_NEAR(enough->level,
              binomial_window(368, 0.99, static_cast<std::size_t>(enough->lower), 368), 1e-12);
}

TEST(AnalysisQuantileInterval, RejectsBadArguments) {
  const std::vector<double> samples = one_to(20);
  EXPECT_EQ(invalid_argument_message([&] { median_interval(samples, 1.0); }),
            "quantile_interval: confidence level 1 is outside (0, 1)");
  EXPECT_EQ(invalid_argument_message([&] { quantile_interval(samples, 0.0); }),
            "quantile_interval: quantile 0 is outside (0, 1)");
  EXPECT_EQ(invalid_argument_message([] {
              median_interval(std::vector<double>{1, std::nan("")});
            }),
            "quantile_interval: samples[1] is not finite (nan)");
}

// ---- Mann-Whitney and Holm
// -----------------------------------------------------------------------

TEST(AnalysisMannWhitney, ExactWhenSmallWithoutTies) {
  // Complete separation: U = 0, and only one of the C(10, 5) = 252 orderings is as extreme in
  // each direction: p = 2 / 252.
  const std::vector<double> a{1, 2, 3, 4, 5};
  const std::vector<double> b{6, 7, 8, 9, 10};
  const RankTest low = mann_whitney(a, b);
  EXPECT_TRUE(low.exact);
  EXPECT_EQ(low.u, 0.0);
  EXPECT_NEAR(low.p_value, 2.0 / 252, 1e-15);
  EXPECT_EQ(low.z, 0.0);
  const RankTest high = mann_whitney(b, a);
  EXPECT_EQ(high.u, 25.0);
  EXPECT_NEAR(high.p_value, 2.0 / 252, 1e-15);
  // a = {1, 3, 5}, b = {2, 4}: pairs a > b are 3>2, 5>2, 5>4, so U = 3 = mn/2. For m = 3,
  // n = 2 the 10 orderings have U = 0..6 with counts 1, 1, 2, 2, 2, 1, 1: P(U <= 3) = 6/10
  // and p = min(1, 1.2).
  const RankTest middle = mann_whitney(std::vector<double>{1, 3, 5}, std::vector<double>{2, 4});
  EXPECT_EQ(middle.u, 3.0);
  EXPECT_EQ(middle.p_value, 1.0);
  const RankTest one = mann_whitney(std::vector<double>{1, 2, 5}, std::vector<double>{3, 4});
  EXPECT_EQ(one.u, 2.0);                          // 5 > 3, 5 > 4
  EXPECT_NEAR(one.p_value, 2 * 4.0 / 10, 1e-15);  // P(U <= 2) = (1 + 1 + 2) / 10
}

TEST(AnalysisMannWhitney, ExactUpToFiftyValuesEach) {
  // Interleaved without ties: a = 0, 2, 4, ..., b = 1, 3, 5, ...
  const auto interleaved = [](std::size_t count, double offset) {
    std::vector<double> values;
    for (std::size_t i = 0; i < count; ++i)
      values.push_back(2.0 * static_cast<double>(i) + offset);
    return values;
  };
  const RankTest fifty = mann_whitney(interleaved(50, 0), interleaved(50, 1));
  EXPECT_TRUE(fifty.exact);
  EXPECT_EQ(fifty.u, 1225.0);  // pairs a_i > b_j: i > j, 50 * 49 / 2
  // The exact and the normal approximation agree closely this far out.
  const double sigma = std::sqrt(2500.0 * 101 / 12);
  EXPECT_NEAR(fifty.p_value, 2 * normal_cdf((1225 + 0.5 - 1250) / sigma), 2e-3);
  const RankTest fifty_one = mann_whitney(interleaved(51, 0), interleaved(50, 1));
  EXPECT_FALSE(fifty_one.exact);
  EXPECT_EQ(fifty_one.u, 1275.0);  // exactly mn / 2: z = 0, p = 1
  EXPECT_EQ(fifty_one.z, 0.0);
  EXPECT_EQ(fifty_one.p_value, 1.0);
}

TEST(AnalysisMannWhitney, TiesUseTheNormalApproximationAsR) {
  // a = {1, 2, 2, 3, 4}, b = {2, 3, 5, 6, 7, 8}. Pooled midranks: 1 -> 1; 2 (three) -> 3;
  // 3 (two) -> 5.5; 4 -> 7; 5..8 -> 8..11. Rank sum of a = 1 + 3 + 3 + 5.5 + 7 = 19.5, so
  // U = 19.5 - 15 = 4.5. Tie term: (27 - 3) + (8 - 2) = 30. Variance:
  // 5*6/12 * (12 - 30 / (11*10)) = 2.5 * 11.727272... = 29.318182. z = (4.5 - 15 + 0.5) /
  // sqrt(29.318182) = -1.8468494, p = 2 Phi(-1.8468494) = 0.0647690 (R: wilcox.test(a, b)
  // gives W = 4.5, p-value = 0.06477).
  const RankTest test =
      mann_whitney(std::vector<double>{1, 2, 2, 3, 4}, std::vector<double>{2, 3, 5, 6, 7, 8});
  EXPECT_FALSE(test.exact);
  EXPECT_EQ(test.u, 4.5);
  EXPECT_NEAR(test.z, -1.846849401867487, 1e-12);
  EXPECT_NEAR(test.p_value, 0.06476896969888765, 1e-12);
}

TEST(AnalysisMannWhitney, LargeSamplesUseTheNormalApproximation) {
  std::vector<double> a;
  std::vector<double> b;
  for (int i = 0; i < 60; ++i) {
    a.push_back(i);
    b.push_back(i + 0.5);
  }
  const RankTest test = mann_whitney(a, b);
  EXPECT_FALSE(test.exact);
  // Pairs a_i > b_j: i > j, i.e. 59*60/2 = 1770 of 3600; shift -30, corrected -29.5;
  // sigma^2 = 3600 * 121 / 12 = 36300.
  EXPECT_EQ(test.u, 1770.0);
  EXPECT_NEAR(test.z, -29.5 / std::sqrt(36300.0), 1e-12);
  EXPECT_GT(test.p_value, 0.8);
  // All values tied: no evidence either way.
  const RankTest tied = mann_whitney(std::vector<double>{3, 3}, std::vector<double>{3, 3, 3});
  EXPECT_EQ(tied.p_value, 1.0);
  EXPECT_EQ(
      invalid_argument_message([] { mann_whitney(std::vector<double>{}, std::vector<double>{1}); }),
      "mann_whitney: a is empty");
}

TEST(AnalysisHolm, TextbookVector) {
  // Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 -> running
  // maximum 0.02, 0.03, 0.06, 0.06 (R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")).
  const std::vector<double> adjusted = holm_adjust(std::vector<double>{0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_NEAR(adjusted[0], 0.03, 1e-15);
  EXPECT_NEAR(adjusted[1], 0.06, 1e-15);
  EXPECT_NEAR(adjusted[2], 0.06, 1e-15);
  EXPECT_NEAR(adjusted[3], 0.02, 1e-15);
  const std::vector<double> capped = holm_adjust(std::vector<double>{0.6, 0.5});
  EXPECT_EQ(capped, (std::vector<double>{1.0, 1.0}));
  EXPECT_TRUE(holm_adjust(std::vector<double>{}).empty());
  EXPECT_EQ(invalid_argument_message([] {
              holm_adjust(std::vector<double>{0.1, 1.5});
            }),
            "holm_adjust: p_values[1] = 1.5 is outside [0, 1]");
}

// ---- ratios ------------------------------------------------------------------------------------

TEST(AnalysisHodgesLehmann, HandWorkedPowersOfTwo) {
  // a = 2^0..2^4, b = 2^1..2^5: the 25 ratios b_j / a_i are 2^e with e = j - i + 1 taking
  // -3..5 with multiplicities 1, 2, 3, 4, 5, 4, 3, 2, 1. Their median (13th) is 2^1.
  // Exact U for m = n = 5: P(U <= 2) = 4/252 <= 0.025 < P(U <= 3) = 7/252, so k = 3:
  // [d(3), d(23)] = [2^-2, 2^4], coverage 1 - 8/252.
  const std::vector<double> a{1, 2, 4, 8, 16};
  const std::vector<double> b{2, 4, 8, 16, 32};
  const Interval ratio = hodges_lehmann_ratio(a, b);
  EXPECT_NEAR(ratio.estimate, 2.0, 1e-14);
  EXPECT_NEAR(ratio.lower, 0.25, 1e-15);
  EXPECT_NEAR(ratio.upper, 16.0, 1e-13);
  EXPECT_NEAR(ratio.level, 1 - 8.0 / 252, 1e-15);
}

TEST(AnalysisHodgesLehmann, TooFewSamplesCoverTheWholeAxis) {
  // m = n = 3: P(U = 0) = 1/20, so no k reaches 95 %; at 85 % k = 1 ([min, max] of the nine
  // ratios 0.5 .. 8, coverage 1 - 2/20).
  const std::vector<double> a{1, 2, 4};
  const std::vector<double> b{2, 4, 8};
  const Interval wide = hodges_lehmann_ratio(a, b);
  EXPECT_NEAR(wide.estimate, 2.0, 1e-14);
  EXPECT_EQ(wide.lower, 0.0);
  EXPECT_EQ(wide.upper, std::numeric_limits<double>::infinity());
  EXPECT_EQ(wide.level, 1.0);
  const Interval eighty_five = hodges_lehmann_ratio(a, b, 0.85);
  EXPECT_NEAR(eighty_five.lower, 0.5, 1e-15);
  EXPECT_NEAR(eighty_five.upper, 8.0, 1e-14);
  EXPECT_NEAR(eighty_five.level, 0.9, 1e-15);
}

// Deterministic lognormal-like samples around `scale`.
std::vector<double> synthetic(std::size_t count, double scale, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::vector<double> samples(count);
  for (double& value : samples) {
    const double u = (static_cast<double>(generator() >> 11) + 0.5) / 9007199254740992.0;
    value = scale * std::exp(0.1 * normal_quantile(u));
  }
  return samples;
}

TEST(AnalysisHodgesLehmann, LargeSamplesCoverTheTrueRatio) {
  // 200 x 200 (normal critical values) and 3000 x 3000 (thinned to 2000 x 2000).
  for (const std::size_t n : {std::size_t{200}, std::size_t{3000}}) {
    const Interval ratio = hodges_lehmann_ratio(synthetic(n, 10, 1), synthetic(n, 12, 2));
    EXPECT_LT(ratio.lower, 1.2) << n;
    EXPECT_GT(ratio.upper, 1.2) << n;
    EXPECT_GT(ratio.lower, 1.1) << n;
    EXPECT_NEAR(ratio.estimate, 1.2, 0.03) << n;
    EXPECT_GE(ratio.level, 0.95) << n;
    EXPECT_LT(ratio.level, 0.96) << n;
  }
  // 10 x 500000: the ten are kept, the larger sample is thinned to 400000.
  const Interval lopsided = hodges_lehmann_ratio(synthetic(10, 10, 5), synthetic(500000, 12, 6));
  EXPECT_LT(lopsided.lower, 1.2);
  EXPECT_GT(lopsided.upper, 1.2);
  EXPECT_GT(lopsided.lower, 1.05);
  EXPECT_GE(lopsided.level, 0.95);
  EXPECT_EQ(invalid_argument_message([] {
              hodges_lehmann_ratio(std::vector<double>{1, 0}, std::vector<double>{1});
            }),
            "hodges_lehmann_ratio: a[1] = 0 is not positive (a ratio needs positive samples)");
}

TEST(AnalysisBootstrap, CoversTheTrueRatioReproducibly) {
  const std::vector<double> a = synthetic(200, 10, 3);
  const std::vector<double> b = synthetic(200, 12, 4);  // 20 % slower
  const Interval ratio = bootstrap_median_ratio(a, b);
  EXPECT_DOUBLE_EQ(ratio.estimate, median(b) / median(a));
  EXPECT_LT(ratio.lower, 1.2);
  EXPECT_GT(ratio.upper, 1.2);
  EXPECT_GT(ratio.lower, 1.1);  // clearly not "no difference"
  EXPECT_LT(ratio.lower, ratio.estimate);
  EXPECT_GT(ratio.upper, ratio.estimate);
  EXPECT_EQ(ratio.level, 0.95);
  const Interval again = bootstrap_median_ratio(a, b);
  EXPECT_EQ(again.lower, ratio.lower);
  EXPECT_EQ(again.upper, ratio.upper);
  const Interval other_seed = bootstrap_median_ratio(a, b, 0.95, 2000, 7);
  EXPECT_NE(other_seed.lower, ratio.lower);
  const Interval narrower = bootstrap_median_ratio(a, b, 0.5);
  EXPECT_GT(narrower.lower, ratio.lower);
  EXPECT_LT(narrower.upper, ratio.upper);
  EXPECT_EQ(invalid_argument_message([&] { bootstrap_median_ratio(a, b, 0.95, 0); }),
            "bootstrap_median_ratio: resamples 0 must be at least 1");
}

TEST(AnalysisEquivalence, IntervalInsideTheMargins) {
  EXPECT_TRUE(equivalent_within({1.0, 0.97, 1.03, 0.9}, 0.05));
  EXPECT_FALSE(equivalent_within({1.0, 0.94, 1.01, 0.9}, 0.05));  // below 1 / 1.05 = 0.952
  EXPECT_FALSE(equivalent_within({1.0, 0.99, 1.06, 0.9}, 0.05));
  EXPECT_TRUE(equivalent_within({1.0, 1 / 1.05, 1.05, 0.9}, 0.05));  // the margins included
  EXPECT_FALSE(equivalent_within({1.0, 0, std::numeric_limits<double>::infinity(), 1}, 0.05));
  EXPECT_EQ(invalid_argument_message([] {
              equivalent_within({1, 1, 1, 0.9}, 0);
            }),
            "equivalent_within: margin 0 must be positive and finite");
}

TEST(AnalysisGeometricMean, TwoRatios) {
  // exp((ln 2 + ln 8) / 2) = 4. Log standard deviation sqrt(2) ln 2, standard error ln 2,
  // t(0.975, 1) = tan(0.475 pi): 4 * 2^(+-12.7062).
  const Interval mean = geometric_mean_ratio(std::vector<double>{2, 8});
  EXPECT_NEAR(mean.estimate, 4.0, 1e-14);
  EXPECT_NEAR(std::log2(mean.lower), 2 - 12.706204736174696, 1e-9);
  EXPECT_NEAR(std::log2(mean.upper), 2 + 12.706204736174696, 1e-9);
  EXPECT_EQ(mean.level, 0.95);
  const Interval single = geometric_mean_ratio(std::vector<double>{1.25});
  EXPECT_EQ(single.estimate, 1.25);
  EXPECT_EQ(single.lower, 1.25);
  EXPECT_EQ(single.upper, 1.25);
  EXPECT_EQ(invalid_argument_message([] {
              geometric_mean_ratio(std::vector<double>{1, -2});
            }),
            "geometric_mean_ratio: ratios[1] = -2 is not positive (a ratio needs positive "
            "samples)");
  EXPECT_EQ(invalid_argument_message([] { geometric_mean_ratio(std::vector<double>{1}, 0); }),
            "geometric_mean_ratio: confidence level 0 is outside (0, 1)");
}

}  // namespace
}  // namespace fb::analysis
