// `fabricbench model`: the models of one or more results files, their predictions, the
// crossovers between algorithms and the back-test, as a report that prints as a table and
// as JSON (results/VERDICTS.md, model section). The fitting itself is analysis/model.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/model.hpp"
#include "results/results.hpp"

namespace fb::analysis {

struct ModelOptions {
  std::vector<std::int64_t> predict_ranks;  // empty: no predictions
  std::vector<std::uint64_t> sizes;         // empty: the sizes of the series
  std::optional<std::int64_t> fit_nodes;    // back-test: fit on this node subset only
  double level = 0.95;
  BreakRule break_rule;
};

// A p2p series' alpha-beta model. Latency tests are fitted on the half round trip (median
// per size); bandwidth tests on the time per message, size / bandwidth, which gives the
// streaming cost per byte (the LogGP gap G) and a per-message cost.
struct P2PModel {
  std::string series;
  std::string transport;
  std::string test;
  std::string quantity;  // "half round trip" or "time per message (size / bandwidth)"
  HockneyFit fit;
};

// One algorithm's cost formula fitted to every series of one identity (collective,
// algorithm, transport, dtype, op, memory, parameters) over the node subsets in the files.
struct CollectiveModel {
  std::string group;  // the series name without its node subset suffix
  std::string transport, dtype, op, memory;
  std::vector<std::string> series;  // those fitted
  CollectiveFit fit;
};

struct Skipped {
  std::string series;
  std::string reason;
};

struct PredictionRow {
  std::string group;
  TimePrediction prediction;
};

struct CrossoverRow {
  std::string collective;  // with transport, dtype, op
  Crossover crossover;
};

struct BacktestPoint {
  std::uint64_t size_bytes = 0;
  double measured_us = 0;
  Prediction predicted_us;
  double relative_error = 0;  // (predicted - measured) / measured
};
struct BacktestSeries {
  std::string group;
  std::string series;
  std::int64_t nodes = 0;
  std::int64_t ranks_per_node = 0;
  std::int64_t ranks = 0;
  std::vector<BacktestPoint> points;
  double median_abs_error = 0;                   // over all its sizes
  std::optional<double> median_abs_error_large;  // over sizes >= 1 MiB
};
struct Backtest {
  std::int64_t fit_nodes = 0;
  std::vector<BacktestSeries> series;
};

struct ModelReport {
  std::vector<std::string> files;
  ModelOptions options;
  std::vector<P2PModel> p2p;
  std::vector<CollectiveModel> collectives;
  std::vector<Skipped> skipped;
  std::vector<PredictionRow> predictions;
  std::vector<CrossoverRow> crossovers;
  std::optional<Backtest> backtest;
};

// Sizes from 1 MiB up count as "large" in the back-test summary.
inline constexpr std::uint64_t kBacktestLargeBytes = std::uint64_t{1} << 20;

// Fits everything the files hold. Series that cannot be modelled are listed in `skipped`
// with the reason. Throws std::invalid_argument when nothing at all can be modelled, or
// fit_nodes names a subset no series has.
ModelReport build_model(const std::vector<std::string>& paths,
                        const std::vector<results::FileData>& files, const ModelOptions& options);

nlohmann::json to_json(const ModelReport& report);
std::string format_report(const ModelReport& report);

// The fitted link as an ASTRA-sim analytical network configuration (network.yml: one
// switch dimension of `npus` NPUs, link bandwidth in GB/s and latency in ns). The link
// comes from the p2p models when the files have them: latency = alpha of the smallest
// sizes' segment of a latency series, bandwidth = 1 / beta of the largest sizes' segment of
// a bandwidth series (of a latency series without one). Otherwise from a collective fit,
// ring all-reduce first. Throws std::invalid_argument when no fit gives a positive beta.
std::string astra_sim_network_yaml(const ModelReport& report, std::int64_t npus);

}  // namespace fb::analysis
