// compare (analysis/compare.hpp) on synthetic results: verdicts and summaries on samples with
// known answers. Matching, refusals, provenance and the JSON document:
// analysis_compare_match_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "analysis/compare.hpp"
#include "tests/unit/analysis_compare_fixture.hpp"

namespace fb::analysis {
namespace {

// ---- verdicts -----------------------------------------------------------------------------

TEST(CompareVerdict, FileAgainstItselfShowsNoDifferenceAnywhere) {
  auto [a, unused] = scaled_pair({64 * kKiB, kMiB, 4 * kMiB}, 1.0);
  P2PSeriesData p2p;
  p2p.name = "bandwidth.ucx";
  p2p.info = {"bandwidth", "ucx", 2, 30, 2, 64, {"0-1"}, 0, "", "", {}, 0};
  p2p.points.push_back({});
  p2p.points.back().size_bytes = kMiB;
  p2p.samples_us.push_back(spread(900));
  a.p2p_series.push_back(p2p);
  const auto c = compare_files(a, a, {});
  EXPECT_FALSE(c.refused());
  EXPECT_TRUE(c.differences.empty());
  EXPECT_TRUE(c.provenance.empty());
  EXPECT_TRUE(c.series_only_in_a.empty() && c.series_only_in_b.empty());
  ASSERT_EQ(c.series.size(), 2u);
  EXPECT_EQ(c.compared_points(), 4u);
  for (const auto& s : c.series) {
    for (const auto& p : s.points) {
      EXPECT_EQ(p.verdict, Verdict::kNoDifference) << s.name_a << " " << p.size_bytes;
      EXPECT_DOUBLE_EQ(p.ratio.estimate, 1.0);
      EXPECT_LT(p.ratio.lower, 1.0);
      EXPECT_GT(p.ratio.upper, 1.0);
      EXPECT_DOUBLE_EQ(p.p_holm, 1.0);
      EXPECT_EQ(p.median_a_us, p.median_b_us);
    }
    EXPECT_EQ(s.summary.verdict, Verdict::kNoDifference);
  }
  EXPECT_FALSE(c.slower_than_allowed());
}

TEST(CompareVerdict, TimesScaledByFourFifthsAreAQuarterFaster) {
  for (const auto method : {RatioMethod::kHodgesLehmann, RatioMethod::kBootstrap}) {
    auto [a, b] = scaled_pair({kMiB}, 0.8);
    CompareOptions o;
    o.ratio_method = method;
    const auto c = compare_files(a, b, o);
    const auto& p = only_point(c);
    EXPECT_EQ(p.verdict, Verdict::kFaster);
    EXPECT_NEAR(p.ratio.estimate, 0.8, 1e-12);
    const auto gain = gain_percent(p.ratio);
    EXPECT_NEAR(gain.estimate, 25.0, 1e-9);
    EXPECT_LT(gain.lower, 25.0);
    EXPECT_GT(gain.upper, 25.0);
    EXPECT_LT(p.p_holm, 1e-6);
    EXPECT_EQ(verdict_text(p.verdict, p.ratio, o).rfind("B faster by 25.0% [", 0), 0u)
        << verdict_text(p.verdict, p.ratio, o);
  }
}

TEST(CompareVerdict, SlowerIsTheBandwidthLoss) {
  auto [a, b] = scaled_pair({kMiB}, 1.25);
  const auto c = compare_files(a, b, {});
  const auto& p = only_point(c);
  EXPECT_EQ(p.verdict, Verdict::kSlower);
  EXPECT_NEAR(p.ratio.estimate, 1.25, 1e-12);
  // time 25 % longer: bandwidth 20 % lower.
  const auto text = verdict_text(p.verdict, p.ratio, {});
  EXPECT_EQ(text.rfind("B slower by 20.0% [", 0), 0u) << text;
  EXPECT_NEAR(gain_percent(p.ratio).estimate, -20.0, 1e-9);
}

TEST(CompareVerdict, GainPercentSwapsTheBounds) {
  const auto g = gain_percent({0.8, 0.75, 0.85, 0.95});
  EXPECT_NEAR(g.estimate, 25.0, 1e-12);
  EXPECT_NEAR(g.lower, 100.0 / 0.85 - 100, 1e-12);
  EXPECT_NEAR(g.upper, 100.0 / 0.75 - 100, 1e-12);
  EXPECT_EQ(g.level, 0.95);
  CompareOptions o;
  EXPECT_EQ(verdict_text(Verdict::kFaster, Interval{0.8, 0.75, 0.85, 0.95}, o),
            "B faster by 25.0% [17.6, 33.3]");
  EXPECT_EQ(verdict_text(Verdict::kSlower, Interval{1.25, 1.2, 1.3, 0.95}, o),
            "B slower by 20.0% [16.7, 23.1]");
  EXPECT_EQ(verdict_text(Verdict::kFaster, Interval{0.995, 0.993, 0.997, 0.95}, o),
            "B faster by 0.50% [0.30, 0.70]");
  EXPECT_EQ(verdict_text(Verdict::kNoDifference, std::nullopt, o), "no significant difference");
  o.equivalence_pct = 2.5;
  EXPECT_EQ(verdict_text(Verdict::kEquivalent, std::nullopt, o), "equivalent within 2.5%");
  EXPECT_EQ(verdict_text(Verdict::kNoDifference, std::nullopt, o),
            "no significant difference, not shown equivalent within 2.5%");
  EXPECT_EQ(verdict_text(Verdict::kNotCompared, std::nullopt, o, "fewer than 2 samples in A"),
            "not compared: fewer than 2 samples in A");
}

TEST(CompareVerdict, EquivalenceByTwoOneSidedTests) {
  {
    auto [a, b] = scaled_pair({kMiB}, 1.0);
    CompareOptions o;
    o.equivalence_pct = 5;
    const auto c = compare_files(a, b, o);
    const auto& p = only_point(c);
    EXPECT_EQ(p.verdict, Verdict::kEquivalent);
    ASSERT_TRUE(p.ratio_tost);
    EXPECT_NEAR(p.ratio_tost->level, 0.90, 0.05);
    // The 90 % interval is inside the 95 % one.
    EXPECT_GE(p.ratio_tost->lower, p.ratio.lower);
    EXPECT_LE(p.ratio_tost->upper, p.ratio.upper);
    o.equivalence_pct = 0.1;  // the interval (about +-1 %) is wider than the margin
    EXPECT_EQ(only_point(compare_files(a, b, o)).verdict, Verdict::kNoDifference);
  }
  {
    // 1 % slower: significant, yet equivalent within 5 %; not within 0.5 %.
    auto [a, b] = scaled_pair({kMiB}, 1.01);
    CompareOptions o;
    EXPECT_EQ(only_point(compare_files(a, b, o)).verdict, Verdict::kSlower);
    o.equivalence_pct = 5;
    EXPECT_EQ(only_point(compare_files(a, b, o)).verdict, Verdict::kEquivalent);
    o.equivalence_pct = 0.5;
    EXPECT_EQ(only_point(compare_files(a, b, o)).verdict, Verdict::kSlower);
  }
}

TEST(CompareVerdict, HolmCorrectsOverThePointsOfASeries) {
  // 6 against 6 samples, completely separated: raw p about 0.002-0.005 (exact or normal).
  const std::vector<double> six{10, 11, 12, 13, 14, 15};
  auto [a1, b1] = scaled_pair({kMiB}, 2.0, six);
  const auto c1 = compare_files(a1, b1, {});
  const auto& alone = only_point(c1);
  EXPECT_LT(alone.p_value, 0.01);
  EXPECT_DOUBLE_EQ(alone.p_holm, alone.p_value);
  EXPECT_EQ(alone.verdict, Verdict::kSlower);

  // The same samples at 30 sizes: each adjusted p is 30 times the raw one, above 0.05.
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t i = 0; i < 30; ++i)
    sizes.push_back(kMiB + i * 1024);
  auto [a, b] = scaled_pair(sizes, 2.0, six);
  const auto c = compare_files(a, b, {});
  ASSERT_EQ(c.series.size(), 1u);
  std::vector<double> raw;
  for (const auto& p : c.series[0].points)
    raw.push_back(p.p_value);
  const auto adjusted = holm_adjust(raw);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto& p = c.series[0].points[i];
    EXPECT_DOUBLE_EQ(p.p_holm, adjusted[i]);
    EXPECT_LT(p.p_value, 0.05);
    EXPECT_GE(p.p_holm, 0.05);
    EXPECT_EQ(p.verdict, Verdict::kNoDifference) << p.size_bytes;
  }
}

TEST(CompareVerdict, FailIfSlowerNeedsTheWholeIntervalBeyondTheLimit) {
  auto [a, b] = scaled_pair({kMiB}, 1.25);  // bandwidth 20 % lower, interval about [19, 21]
  CompareOptions o;
  for (const auto& [pct, fails] : std::vector<std::pair<double, bool>>{
           {0, true}, {10, true}, {18.5, true}, {20, false}, {30, false}}) {
    o.fail_if_slower_pct = pct;
    const auto c = compare_files(a, b, o);
    EXPECT_EQ(c.slower_than_allowed(), fails) << pct;
  }
  auto [fa, fb] = scaled_pair({kMiB}, 0.8);  // faster never fails
  o.fail_if_slower_pct = 0;
  EXPECT_FALSE(compare_files(fa, fb, o).slower_than_allowed());
}

TEST(CompareVerdict, TooFewSamplesAreNotCompared) {
  auto [a, b] = scaled_pair({kMiB}, 0.5, {100});
  const auto c = compare_files(a, b, {});
  const auto& p = only_point(c);
  EXPECT_EQ(p.verdict, Verdict::kNotCompared);
  EXPECT_EQ(p.note, "fewer than 2 samples in A");
  EXPECT_FALSE(p.median_a_interval);
  EXPECT_EQ(c.compared_points(), 0u);
  EXPECT_EQ(c.series[0].summary.verdict, Verdict::kNotCompared);
}

// ---- series summary -----------------------------------------------------------------------

TEST(CompareSummary, GeometricMeanOverTheBandwidthBoundSizesOnly) {
  FileData a = file();
  FileData b = file();
  const std::vector<std::uint64_t> sizes{64 * kKiB, 256 * kKiB, kMiB, 4 * kMiB};
  const std::vector<double> factors{0.5, 0.5, 0.8, 0.8};  // small sizes twice as fast
  std::vector<std::vector<double>> sa;
  std::vector<std::vector<double>> sb;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    sa.push_back(spread(10.0 * static_cast<double>(i + 1)));
    sb.push_back(scaled(sa.back(), factors[i]));
  }
  a.series.push_back(series(sizes, sa));
  b.series.push_back(series(sizes, sb));
  CompareOptions o;
  auto c = compare_files(a, b, o);
  const auto& sum = c.series.at(0).summary;
  EXPECT_EQ(sum.sizes, (std::vector<std::uint64_t>{kMiB, 4 * kMiB}));
  ASSERT_TRUE(sum.ratio);
  EXPECT_NEAR(sum.ratio->estimate, 0.8, 1e-12);
  EXPECT_EQ(sum.verdict, Verdict::kFaster);

  o.bw_from_bytes = 64 * kKiB;  // every size: (0.5 0.5 0.8 0.8)^(1/4)
  c = compare_files(a, b, o);
  EXPECT_NEAR(c.series.at(0).summary.ratio->estimate, std::sqrt(0.4), 1e-12);
  EXPECT_EQ(c.series.at(0).summary.sizes.size(), 4u);

  o.bw_from_bytes = 4 * kMiB;  // one size: that point's own interval
  c = compare_files(a, b, o);
  const auto& one = c.series.at(0);
  ASSERT_TRUE(one.summary.ratio);
  EXPECT_EQ(one.summary.ratio->lower, one.points.back().ratio.lower);
  EXPECT_EQ(one.summary.ratio->upper, one.points.back().ratio.upper);

  o.bw_from_bytes = 16 * kMiB;  // none
  c = compare_files(a, b, o);
  EXPECT_FALSE(c.series.at(0).summary.ratio);
  EXPECT_EQ(c.series.at(0).summary.note, "no compared size at or above 16777216 bytes");
}

// ---- matching -----------------------------------------------------------------------------

}  // namespace
}  // namespace fb::analysis
