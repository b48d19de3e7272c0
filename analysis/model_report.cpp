#include "analysis/model_report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

namespace fb::analysis {

namespace {

// Parameters that say where a series ran, not what the algorithm is.
bool placement_parameter(const std::string& name) {
  return name == "nodes" || name == "ranks_per_node";
}

std::int64_t parameter(const results::SeriesInfo& info, const std::string& name) {
  for (const auto& [key, value] : info.parameters)
    if (key == name) return value;
  return 0;
}

// "allreduce.ring.ucx.float32.sum.nodes2x1" -> "allreduce.ring.ucx.float32.sum".
std::string strip_subset_suffix(const std::string& name) {
  const auto dot = name.rfind(".nodes");
  if (dot == std::string::npos) return name;
  const std::string tail = name.substr(dot + 6);
  const auto x = tail.find('x');
  const auto digits = [](const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (x == std::string::npos || !digits(tail.substr(0, x)) || !digits(tail.substr(x + 1)))
    return name;
  return name.substr(0, dot);
}

struct SeriesRef {
  const results::SeriesData* data = nullptr;
  std::int64_t nodes = 0;
};

struct Group {
  std::string name;
  const results::SeriesInfo* info = nullptr;
  topo::CostParameters parameters;
  std::vector<SeriesRef> series;
};

std::string group_key(const results::SeriesData& s, const topo::CostParameters& parameters) {
  std::string key = strip_subset_suffix(s.name);
  for (const auto& [name, value] : parameters)
    key += "|" + name + "=" + std::to_string(value);
  return key;
}

// The usable points of a series: measured, checked or unchecked but not wrong.
std::vector<CollectivePoint> points_of(const results::SeriesData& s) {
  std::vector<CollectivePoint> out;
  for (const auto& p : s.points) {
    if (p.wrong > 0 || !(p.time_median_us > 0) || p.size_bytes == 0) continue;
    out.push_back({s.info.n_ranks, p.size_bytes, p.time_median_us});
  }
  return out;
}

void fit_p2p(const results::P2PSeriesData& s, const ModelOptions& options, ModelReport& report) {
  std::vector<SizeTime> points;
  std::string quantity;
  if (s.info.test == "latency") {
    quantity = "half round trip";
    for (const auto& p : s.points)
      if (p.size_bytes > 0 && p.lat_p50_us > 0) points.push_back({p.size_bytes, p.lat_p50_us});
  } else if (s.info.test == "bandwidth") {
    quantity = "time per message (size / bandwidth)";
    for (const auto& p : s.points)
      if (p.size_bytes > 0 && p.bw_GBps > 0)
        points.push_back({p.size_bytes, static_cast<double>(p.size_bytes) / (p.bw_GBps * 1e3)});
  } else {
    report.skipped.push_back(
        {s.name, "p2p test " + s.info.test + ": only latency and bandwidth tests are modelled"});
    return;
  }
  try {
    report.p2p.push_back({s.name, s.info.transport, s.info.test, quantity,
                          fit_hockney(points, options.break_rule, options.level)});
  } catch (const std::invalid_argument& e) {
    report.skipped.push_back({s.name, e.what()});
  }
}

std::vector<std::uint64_t> sizes_of(const Group& group) {
  std::set<std::uint64_t> sizes;
  for (const auto& ref : group.series)
    for (const auto& p : points_of(*ref.data))
      sizes.insert(p.size_bytes);
  return {sizes.begin(), sizes.end()};
}

double median_abs(std::vector<double> values) {
  for (auto& v : values)
    v = std::fabs(v);
  return median(values);
}

void backtest_series(const Group& group, const CollectiveFit& fit, const SeriesRef& ref,
                     Backtest& backtest) {
  BacktestSeries out;
  out.group = group.name;
  out.series = ref.data->name;
  out.nodes = ref.nodes;
  out.ranks_per_node = parameter(ref.data->info, "ranks_per_node");
  out.ranks = ref.data->info.n_ranks;
  std::vector<double> all, large;
  for (const auto& p : points_of(*ref.data)) {
    const auto predicted = predict_time(fit, p.ranks, p.size_bytes);
    const double error = (predicted.time_us.value - p.time_us) / p.time_us;
    out.points.push_back({p.size_bytes, p.time_us, predicted.time_us, error});
    all.push_back(error);
    if (p.size_bytes >= kBacktestLargeBytes) large.push_back(error);
  }
  if (all.empty()) return;
  out.median_abs_error = median_abs(all);
  if (!large.empty()) out.median_abs_error_large = median_abs(large);
  backtest.series.push_back(std::move(out));
}

void model_group(const Group& group, const ModelOptions& options, ModelReport& report) {
  const auto& info = *group.info;
  if (!topo::algorithm_cost(info.collective, info.algorithm, 2, 1, group.parameters)) {
    for (const auto& ref : group.series)
      report.skipped.push_back({ref.data->name, "no cost formula for " + info.collective + " " +
                                                    info.algorithm +
                                                    " (a baseline or a per-size choice)"});
    return;
  }
  std::vector<CollectivePoint> points;
  std::vector<std::string> fitted;
  std::vector<SeriesRef> held_out;
  for (const auto& ref : group.series) {
    if (options.fit_nodes && ref.nodes != *options.fit_nodes) {
      held_out.push_back(ref);
      continue;
    }
    const auto p = points_of(*ref.data);
    points.insert(points.end(), p.begin(), p.end());
    fitted.push_back(ref.data->name);
  }
  if (fitted.empty()) {
    report.skipped.push_back({group.name, "no series of the node subset nodes = " +
                                              std::to_string(*options.fit_nodes) + " to fit on"});
    return;
  }
  CollectiveModel model{group.name, info.transport, info.dtype, info.op, info.memory, fitted, {}};
  try {
    model.fit =
        fit_collective(info.collective, info.algorithm, group.parameters, points, options.level);
  } catch (const std::invalid_argument& e) {
    report.skipped.push_back({group.name, e.what()});
    return;
  }
  if (options.fit_nodes) {
    if (!report.backtest) report.backtest = Backtest{*options.fit_nodes, {}};
    for (const auto& ref : held_out)
      backtest_series(group, model.fit, ref, *report.backtest);
  }
  const auto sizes = options.sizes.empty() ? sizes_of(group) : options.sizes;
  for (const auto ranks : options.predict_ranks)
    for (const auto size : sizes)
      report.predictions.push_back({group.name, predict_time(model.fit, ranks, size)});
  report.collectives.push_back(std::move(model));
}

void add_crossovers(const ModelOptions& options, ModelReport& report) {
  for (std::size_t i = 0; i < report.collectives.size(); ++i) {
    for (std::size_t j = i + 1; j < report.collectives.size(); ++j) {
      const auto& a = report.collectives[i];
      const auto& b = report.collectives[j];
      if (a.fit.collective != b.fit.collective || a.transport != b.transport ||
          a.dtype != b.dtype || a.op != b.op || a.memory != b.memory ||
          a.fit.algorithm == b.fit.algorithm)
        continue;
      std::set<std::uint64_t> sizes(options.sizes.begin(), options.sizes.end());
      if (sizes.empty())
        for (const auto& r : a.fit.residuals)
          sizes.insert(r.size_bytes);
      if (sizes.empty()) continue;
      const std::string family = a.fit.collective + "." + a.transport + "." + a.dtype + "." + a.op +
                                 (a.memory == "host" ? "" : "." + a.memory);
      for (const auto ranks : options.predict_ranks)
        for (const auto& c : find_crossovers(a.fit, b.fit, ranks, *sizes.begin(), *sizes.rbegin()))
          report.crossovers.push_back({family, c});
    }
  }
}

}  // namespace

ModelReport build_model(const std::vector<std::string>& paths,
                        const std::vector<results::FileData>& files, const ModelOptions& options) {
  for (const auto ranks : options.predict_ranks)
    if (ranks < 2)
      throw std::invalid_argument("--predict-ranks: " + std::to_string(ranks) +
                                  " ranks: predictions need at least 2");
  ModelReport report;
  report.files = paths;
  report.options = options;

  std::map<std::string, Group> groups;
  std::vector<std::string> order;
  std::set<std::int64_t> node_subsets;
  for (const auto& file : files) {
    for (const auto& s : file.p2p_series)
      fit_p2p(s, options, report);
    for (const auto& s : file.series) {
      if (!s.info.skipped.empty()) {
        report.skipped.push_back({s.name, "not measured: " + s.info.skipped});
        continue;
      }
      if (points_of(s).empty()) {
        report.skipped.push_back({s.name, "no measured points"});
        continue;
      }
      topo::CostParameters parameters;
      for (const auto& [name, value] : s.info.parameters)
        if (!placement_parameter(name)) parameters.emplace_back(name, value);
      const auto key = group_key(s, parameters);
      auto [it, inserted] = groups.try_emplace(key);
      if (inserted) {
        it->second = {strip_subset_suffix(s.name), &s.info, parameters, {}};
        order.push_back(key);
      }
      const auto nodes = parameter(s.info, "nodes");
      node_subsets.insert(nodes);
      it->second.series.push_back({&s, nodes});
    }
  }
  if (options.fit_nodes && node_subsets.count(*options.fit_nodes) == 0) {
    std::string seen;
    for (const auto n : node_subsets)
      if (n > 0) seen += (seen.empty() ? "" : ", ") + std::to_string(n);
    throw std::invalid_argument("--fit-nodes " + std::to_string(*options.fit_nodes) +
                                ": no series of that node subset (subsets in the files: " +
                                (seen.empty() ? "none" : seen) + ")");
  }
  for (const auto& key : order)
    model_group(groups.at(key), options, report);
  add_crossovers(options, report);
  if (report.p2p.empty() && report.collectives.empty()) {
    std::string why;
    for (const auto& s : report.skipped)
      why += "; " + s.series + ": " + s.reason;
    throw std::invalid_argument("nothing to model" +
                                (why.empty() ? std::string(": the files hold no series") : why));
  }
  return report;
}

}  // namespace fb::analysis
