// compare (analysis/compare.hpp) on synthetic results: matching, unmatched reporting, refusals,
// provenance, and verdicts on samples with known answers.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "analysis/compare.hpp"

namespace fb::analysis {
namespace {

using results::FileData;
using results::P2PSeriesData;
using results::SeriesData;

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = kKiB * kKiB;

// n samples spread evenly over [t, 1.05 t] in a scrambled order (a low-discrepancy sequence):
// a known, deterministic sample with a median interval of about +-1 %.
std::vector<double> spread(double t, int n = 30) {
  std::vector<double> out;
  for (int k = 0; k < n; ++k) {
    const double u = std::fmod(k * 0.6180339887498949, 1.0);
    out.push_back(t * (1 + 0.05 * u));
  }
  return out;
}

std::vector<double> scaled(const std::vector<double>& v, double factor) {
  std::vector<double> out;
  out.reserve(v.size());
  for (double x : v)
    out.push_back(x * factor);
  return out;
}

FileData file(int hosts = 2) {
  FileData f;
  f.schema = "fabricbench";
  f.schema_version = 2;
  f.run.tool_version = "0.1.0";
  f.run.git_revision = "abc123";
  f.run.created_utc = "2026-11-30T12:00:00Z";
  f.run.world_size = 2;
  const std::vector<std::string> names{"h0", "h1"};
  for (int r = 0; r < 2; ++r)
    f.run.hostnames.push_back(names[static_cast<std::size_t>(r % hosts)]);
  f.run.mpi_version = "Open MPI 4.1.4";
  f.run.ucx_version = "1.13.1";
  f.run.hdf5_version = "1.10.8";
  f.run.status = "complete";
  return f;
}

// A ring all-reduce series over ucx with `samples` at each of `sizes`.
SeriesData series(const std::vector<std::uint64_t>& sizes,
                  const std::vector<std::vector<double>>& samples,
                  std::string name = "allreduce.ring.ucx.float32.sum") {
  SeriesData s;
  s.name = std::move(name);
  s.info.collective = "allreduce";
  s.info.algorithm = "ring";
  s.info.transport = "ucx";
  s.info.dtype = "float32";
  s.info.op = "sum";
  s.info.n_ranks = 2;
  s.info.iterations = static_cast<std::int64_t>(samples.front().size());
  s.info.warmup = 2;
  s.info.parameters = {{"segment_bytes", 1 << 20}, {"slots", 2}, {"in_place", 0}};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    results::PointRecord p;
    p.size_bytes = sizes[i];
    p.iterations = samples[i].size();
    s.points.push_back(p);
    s.samples_us.push_back(samples[i]);
  }
  return s;
}

// One series per file, A's samples `a` at every size, B's `a` scaled by `factor`.
std::pair<FileData, FileData> scaled_pair(const std::vector<std::uint64_t>& sizes, double factor,
                                          const std::vector<double>& base = spread(100)) {
  FileData a = file();
  FileData b = file();
  std::vector<std::vector<double>> sa;
  std::vector<std::vector<double>> sb;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    sa.push_back(scaled(base, static_cast<double>(i + 1)));
    sb.push_back(scaled(sa.back(), factor));
  }
  a.series.push_back(series(sizes, sa));
  b.series.push_back(series(sizes, sb));
  return {a, b};
}

const PointComparison& only_point(const Comparison& c) {
  EXPECT_EQ(c.series.size(), 1u);
  EXPECT_EQ(c.series.at(0).points.size(), 1u);
  return c.series.at(0).points.at(0);
}

// ---- verdicts -----------------------------------------------------------------------------

TEST(CompareVerdict, FileAgainstItselfShowsNoDifferenceAnywhere) {
  auto [a, unused] = scaled_pair({64 * kKiB, kMiB, 4 * kMiB}, 1.0);
  P2PSeriesData p2p;
  p2p.name = "bandwidth.ucx";
  p2p.info = {"bandwidth", "ucx", 2, 30, 2, 64, {"0-1"}, 0, ""};
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

TEST(CompareMatch, SeriesMatchByIdentityNotByName) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.series[0].name = "renamed";
  const auto c = compare_files(a, b, {});
  ASSERT_EQ(c.series.size(), 1u);
  EXPECT_EQ(c.series[0].name_a, "allreduce.ring.ucx.float32.sum");
  EXPECT_EQ(c.series[0].name_b, "renamed");
  const std::vector<Field> expected{
      {"collective", "allreduce"}, {"algorithm", "ring"}, {"transport", "ucx"},
      {"dtype", "float32"},        {"op", "sum"},         {"ranks", "2"},
      {"in_place", "no"},          {"memory", "host"},    {"nodes", "all"}};
  EXPECT_EQ(c.series[0].identity, expected);
}

TEST(CompareMatch, EveryIdentityFieldSeparatesSeries) {
  const std::vector<std::function<void(SeriesData&)>> changes{
      [](SeriesData& s) { s.info.algorithm = "tree"; },
      [](SeriesData& s) { s.info.transport = "mpi"; },
      [](SeriesData& s) { s.info.dtype = "float64"; },
      [](SeriesData& s) { s.info.op = "max"; },
      [](SeriesData& s) { s.info.collective = "reduce_scatter"; },
      [](SeriesData& s) { s.info.n_ranks = 4; },
      [](SeriesData& s) { s.info.memory = "cuda"; },
      [](SeriesData& s) {
        s.info.parameters.back() = {"in_place", 1};
      },
      [](SeriesData& s) {
        s.info.parameters.emplace_back("nodes", 2);
        s.info.parameters.emplace_back("ranks_per_node", 1);
      }};
  for (std::size_t i = 0; i < changes.size(); ++i) {
    auto [a, b] = scaled_pair({kMiB}, 1.0);
    changes[i](b.series[0]);
    b.series[0].name = "changed";
    const auto c = compare_files(a, b, {});
    EXPECT_TRUE(c.series.empty()) << "change " << i;
    EXPECT_EQ(c.series_only_in_a, std::vector<std::string>{"allreduce.ring.ucx.float32.sum"});
    EXPECT_EQ(c.series_only_in_b, std::vector<std::string>{"changed"});
  }
}

TEST(CompareMatch, OlderFilesIdentifyBySeriesName) {
  // In-place, root and node subset recorded only in the name match the attributes.
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  a.series[0].info.parameters = {{"segment_bytes", 1 << 20},
                                 {"slots", 2},
                                 {"in_place", 1},
                                 {"nodes", 2},
                                 {"ranks_per_node", 1}};
  b.series[0].info.parameters = {{"segment_bytes", 1 << 20}, {"slots", 2}};
  b.series[0].name = "allreduce.ring.ucx.float32.sum.inplace.nodes2x1";
  auto c = compare_files(a, b, {});
  EXPECT_EQ(c.series.size(), 1u);
  EXPECT_FALSE(c.refused());

  b.series[0].name = "allreduce.ring.ucx.float32.sum.nodes2x1";  // not in place
  c = compare_files(a, b, {});
  EXPECT_TRUE(c.series.empty());

  for (auto* f : {&a, &b}) {
    f->series[0].info.collective = "broadcast";
    f->series[0].info.parameters = {{"segment_bytes", 1 << 20}};
  }
  a.series[0].info.parameters.emplace_back("root", 1);
  b.series[0].name = "broadcast.ring.ucx.float32.none.root1";
  c = compare_files(a, b, {});
  ASSERT_EQ(c.series.size(), 1u);
  b.series[0].name = "broadcast.ring.ucx.float32.none.root0";
  EXPECT_TRUE(compare_files(a, b, {}).series.empty());
}

TEST(CompareMatch, PointsMatchBySizeAndTheRestIsReported) {
  FileData a = file();
  FileData b = file();
  a.series.push_back(series({kKiB, kMiB, 2 * kMiB}, {spread(1), spread(10), spread(20)}));
  b.series.push_back(series({kMiB, 2 * kMiB, 8 * kMiB}, {spread(10), spread(20), spread(80)}));
  auto extra = series({kMiB}, {spread(5)}, "allgather.ring.ucx.float32.none");
  extra.info.collective = "allgather";
  extra.info.op = "none";
  b.series.push_back(extra);
  const auto c = compare_files(a, b, {});
  ASSERT_EQ(c.series.size(), 1u);
  const auto& s = c.series[0];
  ASSERT_EQ(s.points.size(), 2u);
  EXPECT_EQ(s.points[0].size_bytes, kMiB);
  EXPECT_EQ(s.points[1].size_bytes, 2 * kMiB);
  EXPECT_EQ(s.sizes_only_in_a, std::vector<std::uint64_t>{kKiB});
  EXPECT_EQ(s.sizes_only_in_b, std::vector<std::uint64_t>{8 * kMiB});
  EXPECT_TRUE(c.series_only_in_a.empty());
  EXPECT_EQ(c.series_only_in_b, std::vector<std::string>{"allgather.ring.ucx.float32.none"});
}

TEST(CompareMatch, ContinuationSeriesArePooledIntoTheSeriesTheyContinue) {
  // A qualify file re-measured one size of a series into `<name>.more1`: its samples join
  // that point, and the continuation is neither matched nor listed on its own.
  FileData a = file();
  a.series.push_back(series({kKiB, kMiB}, {spread(1), spread(10)}));
  auto more = series({kMiB}, {spread(10, 20)}, "allreduce.ring.ucx.float32.sum.more1");
  more.info.continues = "allreduce.ring.ucx.float32.sum";
  a.series.push_back(more);
  const auto c = compare_files(a, a, {});
  ASSERT_EQ(c.series.size(), 1u);
  EXPECT_TRUE(c.series_only_in_a.empty());
  EXPECT_TRUE(c.series_only_in_b.empty());
  const auto& points = c.series[0].points;
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].samples_a, 30u);
  EXPECT_EQ(points[1].samples_a, 50u);
  EXPECT_EQ(points[1].samples_b, 50u);
  EXPECT_EQ(points[1].verdict, Verdict::kNoDifference);
}

TEST(CompareMatch, PointToPointByTestTransportPairsAndWindow) {
  const auto p2p = [](const std::string& test, std::int64_t window,
                      std::vector<std::string> pairs) {
    P2PSeriesData s;
    s.name = test;
    s.name += ".ucx";
    s.info.test = test;
    s.info.transport = "ucx";
    s.info.n_ranks = 2;
    s.info.iterations = 30;
    s.info.window = window;
    s.info.pairs = std::move(pairs);
    s.points.push_back({});
    s.points.back().size_bytes = kMiB;
    s.samples_us.push_back(spread(100));
    return s;
  };
  FileData a = file();
  FileData b = file();
  a.p2p_series = {p2p("bandwidth", 64, {"0-1"}), p2p("latency", 1, {"0-1"})};
  b.p2p_series = {p2p("bandwidth", 32, {"0-1"}), p2p("latency", 1, {"0-1"})};
  b.p2p_series[1].info.iterations = 40;
  b.p2p_series[1].samples_us[0] = scaled(spread(100, 40), 0.8);
  auto c = compare_files(a, b, {});
  ASSERT_EQ(c.series.size(), 1u);
  EXPECT_EQ(c.series[0].kind, "p2p");
  EXPECT_EQ(c.series[0].name_a, "latency.ucx");
  EXPECT_EQ(only_point(c).verdict, Verdict::kFaster);
  EXPECT_EQ(c.series_only_in_a, std::vector<std::string>{"bandwidth.ucx"});
  EXPECT_EQ(c.series_only_in_b, std::vector<std::string>{"bandwidth.ucx"});
  ASSERT_EQ(c.differences.size(), 1u);
  EXPECT_EQ(c.differences[0].message(),
            "latency.ucx: iterations differ (A 30, B 40): more samples narrow the intervals; "
            "the medians compare");
  EXPECT_FALSE(c.refused());

  b.p2p_series[1].info.pairs = {"1-0"};
  EXPECT_TRUE(compare_files(a, b, {}).series.empty());
}

// ---- refusals and warnings ----------------------------------------------------------------

const Difference* find_difference(const Comparison& c, const std::string& what) {
  for (const auto& d : c.differences)
    if (d.what == what) return &d;
  return nullptr;
}

TEST(CompareRefuse, TimingMethodRefuses) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.series[0].info.timing = "window";
  const auto c = compare_files(a, b, {});
  EXPECT_TRUE(c.refused());
  const auto* d = find_difference(c, "timing");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Difference::Severity::kRefuse);
  EXPECT_EQ(d->message(),
            "allreduce.ring.ucx.float32.sum: timing differs (A iteration, B window): the samples "
            "measure different things");
  // The comparison is still computed, for --force.
  EXPECT_EQ(c.compared_points(), 1u);
}

TEST(CompareRefuse, PipelineParametersRefuse) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.series[0].info.parameters[0].second = 1 << 19;
  const auto c = compare_files(a, b, {});
  EXPECT_TRUE(c.refused());
  const auto* d = find_difference(c, "pipeline parameters");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->a, "segment_bytes=1048576 slots=2");
  EXPECT_EQ(d->b, "segment_bytes=524288 slots=2");
}

TEST(CompareRefuse, HostCountRefusesWorldSizeWarns) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.run.hostnames = {"h0", "h0"};
  auto c = compare_files(a, b, {});
  EXPECT_TRUE(c.refused());
  ASSERT_NE(find_difference(c, "host count"), nullptr);
  EXPECT_EQ(find_difference(c, "host count")->message(),
            "host count differs (A 2, B 1): ranks share hosts differently, so different traffic "
            "crosses the network");

  auto [a2, b2] = scaled_pair({kMiB}, 1.0);
  b2.run.world_size = 4;
  b2.run.hostnames = {"h0", "h1", "h0", "h1"};
  c = compare_files(a2, b2, {});
  EXPECT_FALSE(c.refused());
  ASSERT_NE(find_difference(c, "world size"), nullptr);
  EXPECT_EQ(find_difference(c, "world size")->severity, Difference::Severity::kWarn);
}

TEST(CompareRefuse, CountsSchemaStatusAndBackToBackOnlyWarn) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.series[0].info.iterations = 50;
  b.series[0].info.warmup = 5;
  b.schema_version = 1;
  b.run.status = "interrupted by SIGTERM";
  auto c = compare_files(a, b, {});
  EXPECT_FALSE(c.refused());
  for (const char* what : {"iterations", "warmup", "schema_version", "status"}) {
    const auto* d = find_difference(c, what);
    ASSERT_NE(d, nullptr) << what;
    EXPECT_EQ(d->severity, Difference::Severity::kWarn) << what;
  }
  EXPECT_EQ(find_difference(c, "status")->message(),
            "status differs (A complete, B interrupted by SIGTERM): an incomplete run lacks the "
            "points it did not reach");

  auto [a2, b2] = scaled_pair({kMiB}, 1.0);
  a2.series[0].info.timing = b2.series[0].info.timing = "back-to-back";
  c = compare_files(a2, b2, {});
  EXPECT_FALSE(c.refused());
  ASSERT_NE(find_difference(c, "timing"), nullptr);
  EXPECT_EQ(find_difference(c, "timing")
                ->message()
                .rfind("allreduce.ring.ucx.float32.sum: timing is back-to-back in both: ", 0),
            0u);
}

TEST(CompareRefuse, WrongResultsWarn) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.series[0].points[0].wrong = 12;
  const auto c = compare_files(a, b, {});
  const auto* d = find_difference(c, "correctness at 1048576 bytes");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->a, "-");
  EXPECT_EQ(d->b, "12 wrong elements");
}

TEST(CompareRefuse, BadOptionsThrow) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  CompareOptions o;
  o.alpha = 0.5;
  EXPECT_THROW(compare_files(a, b, o), std::invalid_argument);
  o = {};
  o.fail_if_slower_pct = 100;
  EXPECT_THROW(compare_files(a, b, o), std::invalid_argument);
  o = {};
  o.equivalence_pct = 0;
  EXPECT_THROW(compare_files(a, b, o), std::invalid_argument);
}

// ---- provenance ---------------------------------------------------------------------------

TEST(CompareProvenance, VersionsEnvironmentAndHostsButNotLauncherBookkeeping) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  a.run.environment = {"OMPI_COMM_WORLD_RANK=0", "OMPI_MCA_btl_tcp_if_include=eth0",
                       "OMPI_MCA_orte_hnp_uri=1.0;tcp://10.0.0.1:1", "SLURM_JOB_ID=1",
                       "UCX_TLS=tcp,self"};
  b.run.environment = {"OMPI_COMM_WORLD_RANK=0", "OMPI_MCA_btl_tcp_if_include=eth1",
                       "OMPI_MCA_orte_hnp_uri=2.0;tcp://10.0.0.1:2", "SLURM_JOB_ID=2",
                       "UCX_RNDV_THRESH=8192"};
  b.run.ucx_version = "1.16.0";
  b.run.hostnames = {"n7", "n8"};
  b.run.slurm_job_id = "2";
  const auto c = compare_files(a, b, {});
  std::vector<std::string> fields;
  for (const auto& p : c.provenance)
    fields.push_back(p.field + ": " + p.a + " | " + p.b);
  const std::vector<std::string> expected{
      "ucx_version: 1.13.1 | 1.16.0",        "hosts: h0,h1 | n7,n8",
      "slurm_job_id: (unset) | 2",           "env OMPI_MCA_btl_tcp_if_include: eth0 | eth1",
      "env UCX_RNDV_THRESH: (unset) | 8192", "env UCX_TLS: tcp,self | (unset)"};
  EXPECT_EQ(fields, expected);
  EXPECT_FALSE(c.refused());
}

// ---- JSON ---------------------------------------------------------------------------------

TEST(CompareJson, DocumentCarriesEveryPointAndSummary) {
  auto [a, b] = scaled_pair({kMiB}, 0.8);
  a.series.push_back(series({kMiB}, {spread(1, 4)}, "allreduce.ring.mpi.float32.sum"));
  a.series.back().info.transport = "mpi";
  b.series.push_back(series({kMiB}, {spread(1, 4)}, "allreduce.ring.mpi.float32.sum"));
  b.series.back().info.transport = "mpi";
  b.run.ucx_version = "1.16.0";
  CompareOptions o;
  o.fail_if_slower_pct = 5;
  const auto c = compare_files(a, b, o);
  const auto doc = to_json(c, a, "a.h5", b, "b.h5");
  EXPECT_EQ(doc["schema"], "fabricbench-verdicts");
  EXPECT_EQ(doc["command"], "compare");
  EXPECT_EQ(doc["a"]["path"], "a.h5");
  EXPECT_EQ(doc["b"]["hosts"], nlohmann::json::array({"h0", "h1"}));
  EXPECT_EQ(doc["settings"]["ratio_method"], "hodges-lehmann");
  EXPECT_EQ(doc["settings"]["fail_if_slower_pct"], 5.0);
  EXPECT_TRUE(doc["settings"]["equivalence_pct"].is_null());
  EXPECT_EQ(doc["refused"], false);
  EXPECT_EQ(doc["provenance"][0]["field"], "ucx_version");
  ASSERT_EQ(doc["series"].size(), 2u);
  // Series in A's order: ucx, then mpi with 4 samples: no median interval at 95 %.
  EXPECT_EQ(doc["series"][1]["name_a"], "allreduce.ring.mpi.float32.sum");
  const auto& mpi = doc["series"][1]["points"][0];
  EXPECT_TRUE(mpi["median_a_us"]["lower"].is_null());
  EXPECT_EQ(mpi["verdict"], "no difference");
  const auto& ucx = doc["series"][0];
  EXPECT_EQ(ucx["identity"]["transport"], "ucx");
  const auto& p = ucx["points"][0];
  EXPECT_EQ(p["size_bytes"], kMiB);
  EXPECT_EQ(p["verdict"], "faster");
  EXPECT_NEAR(p["gain_pct"]["estimate"].get<double>(), 25.0, 1e-9);
  EXPECT_NEAR(p["time_ratio"]["estimate"].get<double>(), 0.8, 1e-12);
  EXPECT_EQ(p["text"].get<std::string>().rfind("B faster by 25.0% [", 0), 0u);
  EXPECT_EQ(p["slower_than_allowed"], false);
  EXPECT_EQ(ucx["summary"]["sizes_bytes"], nlohmann::json::array({kMiB}));
  EXPECT_EQ(ucx["summary"]["verdict"], "faster");
  EXPECT_EQ(doc["compared_points"], 2);
  EXPECT_EQ(doc["slower_than_allowed"], false);
}

}  // namespace
}  // namespace fb::analysis
