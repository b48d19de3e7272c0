// Models (analysis/model.hpp, analysis/model_report.hpp) on synthetic series from known
// parameters: recovered within their intervals, the protocol break found, predictions and
// crossovers as worked by hand, clear errors for what cannot be modelled.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/model.hpp"
#include "analysis/model_report.hpp"

namespace {

using fb::analysis::CollectivePoint;
using fb::analysis::Interval;
using fb::analysis::SizeTime;

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;

void expect_covers(const Interval& i, double truth, const char* what) {
  EXPECT_LE(i.lower, truth) << what << " " << i.estimate;
  EXPECT_GE(i.upper, truth) << what << " " << i.estimate;
  EXPECT_LT(i.lower, i.upper) << what;
}

std::vector<std::uint64_t> sizes(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t n = from; n <= to; n *= 2)
    out.push_back(n);
  return out;
}

// Multiplicative noise of `sigma` (relative), fixed seed.
struct Noise {
  std::mt19937_64 rng{20261130};
  std::normal_distribution<double> normal{0.0, 1.0};
  double operator()(double t, double sigma) { return t * (1 + sigma * normal(rng)); }
};

TEST(HockneyFit, RecoversAlphaBetaWithoutABreak) {
  const double alpha = 2.0, beta = 0.001;  // 2 us, 1 GB/s
  Noise noise;
  std::vector<SizeTime> points;
  for (const auto n : sizes(8, 4 * kMiB))
    points.push_back({n, noise(alpha + static_cast<double>(n) * beta, 0.01)});
  const auto fit = fb::analysis::fit_hockney(points);
  ASSERT_EQ(fit.segments.size(), 1u);
  EXPECT_FALSE(fit.break_bytes.has_value());
  expect_covers(fit.segments[0].alpha_us, alpha, "alpha");
  expect_covers(fit.segments[0].beta_us_per_byte, beta, "beta");
  EXPECT_EQ(fit.segments[0].from_bytes, 8u);
  EXPECT_EQ(fit.segments[0].to_bytes, 4 * kMiB);
  EXPECT_EQ(fit.residuals.size(), points.size());
  EXPECT_DOUBLE_EQ(fit.single_sse_relative, fit.split_sse_relative);
}

TEST(HockneyFit, FindsTheEagerRendezvousBreak) {
  // Eager below 64 KiB (1 us, 2 GB/s), rendezvous from 64 KiB (20 us, 2.5 GB/s).
  Noise noise;
  std::vector<SizeTime> points;
  for (const auto n : sizes(8, 8 * kMiB)) {
    const double x = static_cast<double>(n);
    const double t = n < 64 * kKiB ? 1.0 + x * 0.0005 : 20.0 + x * 0.0004;
    points.push_back({n, noise(t, 0.005)});
  }
  const auto fit = fb::analysis::fit_hockney(points);
  ASSERT_TRUE(fit.break_bytes.has_value());
  EXPECT_EQ(*fit.break_bytes, 64 * kKiB);
  ASSERT_EQ(fit.segments.size(), 2u);
  EXPECT_EQ(fit.segments[0].to_bytes, 32 * kKiB);
  EXPECT_EQ(fit.segments[1].from_bytes, 64 * kKiB);
  expect_covers(fit.segments[0].alpha_us, 1.0, "eager alpha");
  expect_covers(fit.segments[0].beta_us_per_byte, 0.0005, "eager beta");
  expect_covers(fit.segments[1].alpha_us, 20.0, "rendezvous alpha");
  expect_covers(fit.segments[1].beta_us_per_byte, 0.0004, "rendezvous beta");
  EXPECT_LE(fit.split_sse_relative * 4, fit.single_sse_relative);
  const std::string table = [&] {
    fb::analysis::ModelReport report;
    report.p2p.push_back({"p2p.latency.ucx", "ucx", "latency", "half round trip", fit});
    return fb::analysis::format_report(report);
  }();
  EXPECT_NE(table.find("protocol break at 64K"), std::string::npos) << table;
}

TEST(HockneyFit, NoBreakWhenTheGainIsBelowTheFactor) {
  // The same two regimes, but a break factor no split can reach.
  std::vector<SizeTime> points;
  for (const auto n : sizes(8, 8 * kMiB)) {
    const double x = static_cast<double>(n);
    points.push_back({n, n < 64 * kKiB ? 1.0 + x * 0.0005 : 20.0 + x * 0.0004});
  }
  fb::analysis::BreakRule rule;
  rule.min_improvement = 1e300;
  EXPECT_FALSE(fb::analysis::fit_hockney(points, rule).break_bytes.has_value());
}

// Synthetic collective series: the formula's time at every (p, n), with noise.
std::vector<CollectivePoint> synthetic(const std::string& collective, const std::string& algorithm,
                                       const fb::topo::CostParameters& parameters,
                                       const std::vector<std::int64_t>& ranks, double alpha,
                                       double beta, double gamma, double sigma, Noise& noise) {
  std::vector<CollectivePoint> out;
  for (const auto p : ranks)
    for (const auto n : sizes(kKiB, 16 * kMiB)) {
      const auto c = fb::topo::algorithm_cost(collective, algorithm, p,
                                              static_cast<std::int64_t>(n), parameters)
                         ->coefficients;
      const double x = static_cast<double>(n);
      const double t = c.a * alpha + c.b * x * beta + c.g * x * gamma;
      out.push_back({p, n, sigma > 0 ? noise(t, sigma) : t});
    }
  return out;
}

TEST(CollectiveFit, RingFoldsGammaIntoBeta) {
  const double alpha = 5, beta = 0.002, gamma = 0.0005;
  Noise noise;
  const auto points =
      synthetic("allreduce", "ring", {}, {2, 4, 8}, alpha, beta, gamma, 0.01, noise);
  const auto fit = fb::analysis::fit_collective("allreduce", "ring", {}, points);
  // g / b = 1/2 at every p: only beta + gamma / 2 can be known.
  EXPECT_FALSE(fit.gamma_us_per_byte.has_value());
  EXPECT_DOUBLE_EQ(fit.gamma_in_beta, 0.5);
  expect_covers(fit.alpha_us, alpha, "alpha");
  expect_covers(fit.beta_us_per_byte, beta + gamma / 2, "beta + gamma/2");
  EXPECT_EQ(fit.ranks_fitted, (std::vector<std::int64_t>{2, 4, 8}));
  EXPECT_EQ(fit.residuals.size(), points.size());
  EXPECT_GT(fit.fit.r_squared, 0.99);
}

TEST(CollectiveFit, TreeSeparatesGammaAcrossRankCounts) {
  const double alpha = 5, beta = 0.002, gamma = 0.0005;
  Noise noise;
  const fb::topo::CostParameters chunk{{"chunk_bytes", static_cast<std::int64_t>(256 * kKiB)}};
  const auto points =
      synthetic("allreduce", "tree", chunk, {2, 3, 4, 8, 16}, alpha, beta, gamma, 0.002, noise);
  const auto fit = fb::analysis::fit_collective("allreduce", "tree", chunk, points);
  ASSERT_TRUE(fit.gamma_us_per_byte.has_value());
  expect_covers(fit.alpha_us, alpha, "alpha");
  expect_covers(fit.beta_us_per_byte, beta, "beta");
  expect_covers(*fit.gamma_us_per_byte, gamma, "gamma");
}

TEST(CollectiveFit, HoldsANegativeAlphaAtZero) {
  // Ring on 2 ranks, T = n beta - 5 us: unconstrained alpha = -5 / 2(p-1) = -2.5 us.
  std::vector<CollectivePoint> points;
  for (const auto n : sizes(64 * kKiB, 16 * kMiB))
    points.push_back({2, n, static_cast<double>(n) * 0.002 - 5});
  const auto fit = fb::analysis::fit_collective("allreduce", "ring", {}, points);
  ASSERT_EQ(fit.held_at_zero.size(), 1u);
  EXPECT_EQ(fit.held_at_zero[0].parameter, "alpha");
  ASSERT_TRUE(fit.held_at_zero[0].unconstrained.has_value());
  EXPECT_NEAR(fit.held_at_zero[0].unconstrained->estimate, -2.5, 1e-6);
  EXPECT_EQ(fit.columns, (std::vector<std::size_t>{1}));
  EXPECT_EQ(fit.alpha_us.estimate, 0);
  EXPECT_EQ(fit.alpha_us.upper, 0);
  EXPECT_GT(fit.beta_us_per_byte.estimate, 0.0019);
  // Predictions use beta alone: 16 ranks, 1 MiB: 1.875 n beta.
  EXPECT_NEAR(fb::analysis::predict_time(fit, 16, kMiB).time_us.value,
              1.875 * 1048576 * fit.beta_us_per_byte.estimate, 1e-6);
  const auto table = [&] {
    fb::analysis::ModelReport report;
    report.collectives.push_back({"allreduce.ring", "ucx", "float32", "sum", "host", {}, fit});
    return fb::analysis::format_report(report);
  }();
  EXPECT_NE(table.find("alpha held at 0: its unconstrained estimate -2.5 ["), std::string::npos)
      << table;
}

TEST(CollectiveFit, HoldsAlphaAtZeroWhenWholeChunksHideIt) {
  // Tree on 2 ranks, 256 KiB chunks, sizes 512 KiB..16 MiB: k = n / 512 KiB chunks, so the
  // formula is 2k (alpha + 256 KiB beta): alpha and beta are one column twice.
  const fb::topo::CostParameters chunk{{"chunk_bytes", static_cast<std::int64_t>(256 * kKiB)}};
  std::vector<CollectivePoint> points;
  for (const auto n : sizes(512 * kKiB, 16 * kMiB)) {
    const double k = static_cast<double>(n) / static_cast<double>(512 * kKiB);  // whole
    points.push_back({2, n, 2 * k * (10 + 262144 * 0.002)});
  }
  const auto fit = fb::analysis::fit_collective("allreduce", "tree", chunk, points);
  ASSERT_EQ(fit.held_at_zero.size(), 1u);
  EXPECT_EQ(fit.held_at_zero[0].parameter, "alpha");
  EXPECT_FALSE(fit.held_at_zero[0].unconstrained.has_value());
  // beta carries alpha's share: 0.002 + 10 / 256 KiB per byte.
  EXPECT_NEAR(fit.beta_us_per_byte.estimate, 0.002 + 10.0 / 262144, 1e-9);
}

TEST(CollectivePrediction, MatchesTheFormulaByHand) {
  const double alpha = 5, beta = 0.002, gamma = 0.0005;
  Noise noise;
  const auto points = synthetic("allreduce", "ring", {}, {2, 4}, alpha, beta, gamma, 0, noise);
  const auto fit = fb::analysis::fit_collective("allreduce", "ring", {}, points);
  // p = 16, 1 MiB: 30 alpha + 2*15/16 n beta + 15/16 n gamma
  //              = 150 + 3932.16 + 491.52 = 4573.68 us.
  const auto p = fb::analysis::predict_time(fit, 16, kMiB);
  EXPECT_NEAR(p.time_us.value, 4573.68, 1e-6);
  EXPECT_NEAR(p.time_us.lower, 4573.68, 1e-6);  // exact data: no spread
  EXPECT_NEAR(p.time_us.upper, 4573.68, 1e-6);
  // bus bandwidth: n / t * 2(p-1)/p = 1048576 B / 4573.68 us * 1.875 = 0.42987 GB/s.
  EXPECT_NEAR(p.busbw_GBps, 1048576.0 / 4573.68 / 1e3 * 1.875, 1e-9);
  EXPECT_EQ(p.ranks, 16);
  EXPECT_EQ(p.size_bytes, kMiB);
}

TEST(CollectivePrediction, PredictionIntervalWidensWithNoise) {
  Noise noise;
  const auto points = synthetic("allreduce", "ring", {}, {2, 4}, 5, 0.002, 0, 0.02, noise);
  const auto fit = fb::analysis::fit_collective("allreduce", "ring", {}, points);
  const auto p = fb::analysis::predict_time(fit, 64, kMiB);
  EXPECT_LT(p.time_us.lower, p.time_us.mean_lower);
  EXPECT_LT(p.time_us.mean_lower, p.time_us.value);
  EXPECT_GT(p.time_us.upper, p.time_us.mean_upper);
  EXPECT_LT(p.busbw_lower_GBps, p.busbw_GBps);
  EXPECT_GT(p.busbw_upper_GBps, p.busbw_GBps);
}

TEST(Crossover, TreeBelowRingAboveAsWorkedByHand) {
  const double alpha = 5, beta = 0.002, gamma = 0.0005;
  Noise noise;
  // One chunk per tree at every size: the tree at p = 16 is 8 alpha + 4 n beta + n gamma.
  const fb::topo::CostParameters chunk{{"chunk_bytes", static_cast<std::int64_t>(1) << 30}};
  const auto tree = fb::analysis::fit_collective(
      "allreduce", "tree", chunk,
      synthetic("allreduce", "tree", chunk, {2, 4, 8}, alpha, beta, gamma, 0, noise));
  const auto ring = fb::analysis::fit_collective(
      "allreduce", "ring", {},
      synthetic("allreduce", "ring", {}, {2, 4, 8}, alpha, beta, gamma, 0, noise));
  // Ring at 16: 30 alpha + 1.875 n beta + 0.9375 n gamma. Equal where
  // 22 alpha = (2.125 beta + 0.0625 gamma) n: n = 110 / 0.00428125 = 25693.4 B.
  const auto crossings = fb::analysis::find_crossovers(tree, ring, 16, kKiB, kMiB);
  ASSERT_EQ(crossings.size(), 1u);
  EXPECT_EQ(crossings[0].size_bytes, 25694u);
  EXPECT_EQ(crossings[0].faster_below, "tree");
  EXPECT_EQ(crossings[0].faster_above, "ring");
  EXPECT_EQ(crossings[0].ranks, 16);
  // Above the crossing only: none.
  EXPECT_TRUE(fb::analysis::find_crossovers(tree, ring, 16, 64 * kKiB, kMiB).empty());
}

TEST(ModelExport, AstraSimNetworkFromTheP2PFit) {
  // Latency 2 us + n / (1 GB/s) below 64 KiB; a bandwidth series streaming at 2.5 GB/s.
  std::vector<SizeTime> latency, bandwidth;
  for (const auto n : sizes(8, 32 * kKiB))
    latency.push_back({n, 2.0 + static_cast<double>(n) * 0.001});
  for (const auto n : sizes(8, 4 * kMiB))
    bandwidth.push_back({n, 0.5 + static_cast<double>(n) * 0.0004});
  fb::analysis::ModelReport report;
  report.p2p.push_back(
      {"latency.ucx", "ucx", "latency", "half round trip", fb::analysis::fit_hockney(latency)});
  report.p2p.push_back({"bandwidth.ucx", "ucx", "bandwidth", "time per message",
                        fb::analysis::fit_hockney(bandwidth)});
  const auto yaml = fb::analysis::astra_sim_network_yaml(report, 16);
  EXPECT_NE(yaml.find("topology: [ Switch ]\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("npus_count: [ 16 ]\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("bandwidth: [ 2.5 ]  # GB/s\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("latency: [ 2000 ]  # ns\n"), std::string::npos) << yaml;
  EXPECT_THROW(fb::analysis::astra_sim_network_yaml(fb::analysis::ModelReport{}, 16),
               std::invalid_argument);
  EXPECT_THROW(fb::analysis::astra_sim_network_yaml(report, 1), std::invalid_argument);
}

TEST(ModelErrors, ClearMessages) {
  const auto message = [](const auto& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([] { fb::analysis::fit_collective("allreduce", "ring", {}, {}); }),
            "no points to fit");
  const std::vector<CollectivePoint> one{{4, kKiB, 10.0}};
  EXPECT_EQ(message([&] { fb::analysis::fit_collective("allreduce", "mpi", {}, one); }),
            "no cost formula for allreduce mpi");
  EXPECT_EQ(message([&] { fb::analysis::fit_collective("allreduce", "ring", {}, one); }),
            "allreduce ring: 1 points cannot fit 2 parameters with an interval");
  const std::vector<SizeTime> two{{8, 1.0}, {16, 1.1}};
  EXPECT_EQ(message([&] { fb::analysis::fit_hockney(two); }),
            "an alpha-beta fit needs at least 3 sizes, got 2");
  const std::vector<SizeTime> negative{{8, 1.0}, {16, -1.0}, {32, 1.2}};
  EXPECT_EQ(message([&] { fb::analysis::fit_hockney(negative); }),
            "time -1.000000 us at 16 B is not a positive number");
  EXPECT_EQ(message([] { fb::analysis::build_model({"empty.h5"}, {fb::results::FileData{}}, {}); }),
            "nothing to model: the files hold no series");
}

// A results file's worth of series: ring all-reduce on the 2- and 4-node subsets of a
// --nodes sweep, and an MPI baseline that has no formula.
fb::results::SeriesData series(const std::string& algorithm, std::int64_t nodes, double alpha,
                               double beta) {
  fb::results::SeriesData s;
  s.name = "allreduce." + algorithm + ".ucx.float32.sum.nodes" + std::to_string(nodes) + "x1";
  s.info.collective = "allreduce";
  s.info.algorithm = algorithm;
  s.info.transport = "ucx";
  s.info.dtype = "float32";
  s.info.op = "sum";
  s.info.n_ranks = nodes;
  s.info.parameters = {{"segment_bytes", 262144}, {"nodes", nodes}, {"ranks_per_node", 1}};
  for (const auto n : sizes(kKiB, 4 * kMiB)) {
    fb::results::PointRecord p;
    p.size_bytes = n;
    const double q = static_cast<double>(nodes);
    p.time_median_us = 2 * (q - 1) * alpha + 2 * (q - 1) / q * static_cast<double>(n) * beta;
    s.points.push_back(p);
  }
  return s;
}

TEST(ModelReport, BacktestPredictsTheOtherSubsets) {
  fb::results::FileData file;
  file.series = {series("ring", 2, 10, 0.008), series("ring", 4, 10, 0.008),
                 series("mpi", 2, 1, 0.001)};
  fb::analysis::ModelOptions options;
  options.fit_nodes = 2;
  options.predict_ranks = {16};
  const auto report = fb::analysis::build_model({"sweep.h5"}, {file}, options);
  ASSERT_EQ(report.collectives.size(), 1u);
  EXPECT_EQ(report.collectives[0].group, "allreduce.ring.ucx.float32.sum");
  EXPECT_EQ(report.collectives[0].series,
            (std::vector<std::string>{"allreduce.ring.ucx.float32.sum.nodes2x1"}));
  ASSERT_TRUE(report.backtest.has_value());
  ASSERT_EQ(report.backtest->series.size(), 1u);
  const auto& held_out = report.backtest->series[0];
  EXPECT_EQ(held_out.series, "allreduce.ring.ucx.float32.sum.nodes4x1");
  EXPECT_EQ(held_out.nodes, 4);
  EXPECT_EQ(held_out.ranks, 4);
  EXPECT_EQ(held_out.points.size(), 13u);
  EXPECT_LT(held_out.median_abs_error, 1e-9);
  ASSERT_TRUE(held_out.median_abs_error_large.has_value());
  EXPECT_LT(*held_out.median_abs_error_large, 1e-9);
  ASSERT_EQ(report.skipped.size(), 1u);
  EXPECT_EQ(report.skipped[0].series, "allreduce.mpi.ucx.float32.sum.nodes2x1");
  EXPECT_EQ(report.predictions.size(), 13u);  // 16 ranks x the 13 sizes of the series

  const auto json = fb::analysis::to_json(report);
  EXPECT_EQ(json["command"], "model");
  EXPECT_EQ(json["schema"], "fabricbench-verdicts");
  EXPECT_EQ(json["backtest"]["fit_nodes"], 2);
  EXPECT_EQ(json["backtest"]["series"][0]["nodes"], 4);
  EXPECT_EQ(json["collectives"][0]["algorithm"], "ring");
  EXPECT_NEAR(json["collectives"][0]["alpha_us"]["estimate"].get<double>(), 10, 1e-6);
  EXPECT_NEAR(json["collectives"][0]["beta_ns_per_byte"]["estimate"].get<double>(), 8, 1e-6);
  EXPECT_EQ(json["predictions"][0]["ranks"], 16);

  // A subset the files do not have.
  options.fit_nodes = 3;
  try {
    fb::analysis::build_model({"sweep.h5"}, {file}, options);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "--fit-nodes 3: no series of that node subset (subsets in the files: 2, 4)");
  }
}

}  // namespace
