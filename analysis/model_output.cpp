// The model report as JSON (results/VERDICTS.md, model section) and as a table.
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "analysis/model_report.hpp"

namespace fb::analysis {

namespace {

using nlohmann::json;

// JSON has no infinity or NaN: those become null.
json number(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

json interval(const Interval& i, double scale = 1.0) {
  return {{"estimate", number(i.estimate * scale)},
          {"lower", number(i.lower * scale)},
          {"upper", number(i.upper * scale)},
          {"level", i.level}};
}

json prediction(const Prediction& p, double level) {
  return {{"estimate", number(p.value)},        {"lower", number(p.lower)},
          {"upper", number(p.upper)},           {"mean_lower", number(p.mean_lower)},
          {"mean_upper", number(p.mean_upper)}, {"level", level}};
}

json residuals(const std::vector<Residual>& rs) {
  json out = json::array();
  for (const auto& r : rs) {
    json j = {{"size_bytes", r.size_bytes},
              {"measured_us", number(r.measured_us)},
              {"fitted_us", number(r.fitted_us)},
              {"relative_residual", number(r.relative)}};
    if (r.ranks > 0) j["ranks"] = r.ranks;
    out.push_back(std::move(j));
  }
  return out;
}

// Time per byte in us/B shown as ns per byte (1 ns/B is 1 GB/s).
constexpr double kNsPerUs = 1e3;

json p2p_json(const P2PModel& m) {
  json segments = json::array();
  for (const auto& s : m.fit.segments)
    segments.push_back({{"from_bytes", s.from_bytes},
                        {"to_bytes", s.to_bytes},
                        {"points", s.points},
                        {"alpha_us", interval(s.alpha_us)},
                        {"beta_ns_per_byte", interval(s.beta_us_per_byte, kNsPerUs)},
                        {"bandwidth_GBps", number(1.0 / (s.beta_us_per_byte.estimate * kNsPerUs))},
                        {"r_squared", number(s.r_squared)}});
  return {{"series", m.series},
          {"transport", m.transport},
          {"test", m.test},
          {"fitted_quantity", m.quantity},
          {"model", "hockney"},
          {"segments", segments},
          {"break_bytes", m.fit.break_bytes ? json(*m.fit.break_bytes) : json(nullptr)},
          {"single_sse_relative", number(m.fit.single_sse_relative)},
          {"split_sse_relative", number(m.fit.split_sse_relative)},
          {"residuals", residuals(m.fit.residuals)}};
}

json collective_json(const CollectiveModel& m) {
  const auto& f = m.fit;
  json parameters = json::object();
  for (const auto& [name, value] : f.parameters)
    parameters[name] = value;
  double max_rel = 0;
  for (const auto& r : f.residuals)
    max_rel = std::max(max_rel, std::fabs(r.relative));
  json held = json::array();
  for (const auto& h : f.held_at_zero)
    held.push_back(
        {{"parameter", h.parameter},
         {"unconstrained", h.unconstrained
                               ? interval(*h.unconstrained, h.parameter == "alpha" ? 1.0 : kNsPerUs)
                               : json(nullptr)},
         {"reason", h.unconstrained ? "negative" : "not separable from beta"}});
  return {{"group", m.group},
          {"collective", f.collective},
          {"algorithm", f.algorithm},
          {"transport", m.transport},
          {"dtype", m.dtype},
          {"op", m.op},
          {"memory", m.memory},
          {"algorithm_parameters", parameters},
          {"formula", f.formula},
          {"series", m.series},
          {"ranks_fitted", f.ranks_fitted},
          {"alpha_us", interval(f.alpha_us)},
          {"beta_ns_per_byte", interval(f.beta_us_per_byte, kNsPerUs)},
          {"gamma_ns_per_byte",
           f.gamma_us_per_byte ? interval(*f.gamma_us_per_byte, kNsPerUs) : json(nullptr)},
          {"gamma_in_beta", f.gamma_in_beta},
          {"held_at_zero", held},
          {"r_squared", number(f.fit.r_squared)},
          {"relative_residual_std_error", number(f.fit.residual_std_error)},
          {"max_abs_relative_residual", number(max_rel)},
          {"residuals", residuals(f.residuals)}};
}

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

std::string bytes_text(std::uint64_t n) {
  if (n >= (1u << 20) && n % (1u << 20) == 0) return std::to_string(n >> 20) + "M";
  if (n >= (1u << 10) && n % (1u << 10) == 0) return std::to_string(n >> 10) + "K";
  return std::to_string(n);
}

std::string interval_text(const Interval& i, double scale = 1.0) {
  return format("%.4g [%.4g, %.4g]", i.estimate * scale, i.lower * scale, i.upper * scale);
}

}  // namespace

nlohmann::json to_json(const ModelReport& report) {
  json out = {{"schema", "fabricbench-verdicts"},
              {"schema_version", 1},
              {"command", "model"},
              {"files", report.files},
              {"level", report.options.level},
              {"weights", "1/t^2 (relative errors)"},
              {"break_rule",
               {{"min_improvement", report.options.break_rule.min_improvement},
                {"min_points", report.options.break_rule.min_points}}}};
  json p2p = json::array();
  for (const auto& m : report.p2p)
    p2p.push_back(p2p_json(m));
  out["p2p"] = p2p;
  json collectives = json::array();
  for (const auto& m : report.collectives)
    collectives.push_back(collective_json(m));
  out["collectives"] = collectives;
  json skipped = json::array();
  for (const auto& s : report.skipped)
    skipped.push_back({{"series", s.series}, {"reason", s.reason}});
  out["skipped"] = skipped;
  json predictions = json::array();
  for (const auto& row : report.predictions) {
    const auto& p = row.prediction;
    predictions.push_back({{"group", row.group},
                           {"ranks", p.ranks},
                           {"size_bytes", p.size_bytes},
                           {"time_us", prediction(p.time_us, report.options.level)},
                           {"busbw_GBps",
                            {{"estimate", number(p.busbw_GBps)},
                             {"lower", number(p.busbw_lower_GBps)},
                             {"upper", number(p.busbw_upper_GBps)},
                             {"level", report.options.level}}}});
  }
  out["predictions"] = predictions;
  json crossovers = json::array();
  for (const auto& row : report.crossovers)
    crossovers.push_back({{"collective", row.collective},
                          {"ranks", row.crossover.ranks},
                          {"size_bytes", row.crossover.size_bytes},
                          {"faster_below", row.crossover.faster_below},
                          {"faster_above", row.crossover.faster_above}});
  out["crossovers"] = crossovers;
  if (report.backtest) {
    json series = json::array();
    for (const auto& s : report.backtest->series) {
      json points = json::array();
      for (const auto& p : s.points)
        points.push_back({{"size_bytes", p.size_bytes},
                          {"measured_us", number(p.measured_us)},
                          {"predicted_us", prediction(p.predicted_us, report.options.level)},
                          {"relative_error", number(p.relative_error)}});
      series.push_back(
          {{"group", s.group},
           {"series", s.series},
           {"nodes", s.nodes},
           {"ranks_per_node", s.ranks_per_node},
           {"ranks", s.ranks},
           {"median_abs_relative_error", number(s.median_abs_error)},
           {"median_abs_relative_error_ge_1MiB",
            s.median_abs_error_large ? number(*s.median_abs_error_large) : json(nullptr)},
           {"points", points}});
    }
    out["backtest"] = {{"fit_nodes", report.backtest->fit_nodes}, {"series", series}};
  } else {
    out["backtest"] = nullptr;
  }
  return out;
}

std::string format_report(const ModelReport& report) {
  std::string out;
  const int pct = static_cast<int>(std::lround(report.options.level * 100));
  if (!report.p2p.empty()) {
    out += format(
        "# point-to-point: Hockney T(n) = alpha + n beta, weights 1/T^2, %d%% intervals\n", pct);
    out += format("%-36s %-10s %-19s %-30s %-30s %9s %7s\n", "series", "test", "sizes (B)",
                  "alpha_us", "beta_ns_per_byte", "GB/s", "R^2");
    for (const auto& m : report.p2p) {
      for (const auto& s : m.fit.segments)
        out += format(
            "%-36s %-10s %-19s %-30s %-30s %9.3f %7.4f\n", m.series.c_str(), m.test.c_str(),
            format("%s..%s", bytes_text(s.from_bytes).c_str(), bytes_text(s.to_bytes).c_str())
                .c_str(),
            interval_text(s.alpha_us).c_str(), interval_text(s.beta_us_per_byte, kNsPerUs).c_str(),
            1.0 / (s.beta_us_per_byte.estimate * kNsPerUs), s.r_squared);
      if (m.fit.break_bytes)
        out += format(
            "  protocol break at %s: two lines' squared relative error %.3g vs one "
            "line's %.3g\n",
            bytes_text(*m.fit.break_bytes).c_str(), m.fit.split_sse_relative,
            m.fit.single_sse_relative);
    }
    out += "\n";
  }
  if (!report.collectives.empty()) {
    out += format(
        "# collectives: T(p, n) = a alpha + b n beta + g n gamma, weights 1/T^2, %d%% intervals\n",
        pct);
    out += format("%-44s %-12s %-30s %-30s %-26s %7s %8s\n", "group", "ranks", "alpha_us",
                  "beta_ns_per_byte", "gamma_ns_per_byte", "R^2", "max|res|");
    for (const auto& m : report.collectives) {
      const auto& f = m.fit;
      std::string ranks;
      for (const auto r : f.ranks_fitted) {
        if (!ranks.empty()) ranks += ',';
        ranks += std::to_string(r);
      }
      double max_rel = 0;
      for (const auto& r : f.residuals)
        max_rel = std::max(max_rel, std::fabs(r.relative));
      const std::string gamma = f.gamma_us_per_byte ? interval_text(*f.gamma_us_per_byte, kNsPerUs)
                                : f.gamma_in_beta > 0 ? format("in beta (x%.3g)", f.gamma_in_beta)
                                                      : std::string("-");
      out += format("%-44s %-12s %-30s %-30s %-26s %7.4f %7.1f%%\n", m.group.c_str(), ranks.c_str(),
                    interval_text(f.alpha_us).c_str(),
                    interval_text(f.beta_us_per_byte, kNsPerUs).c_str(), gamma.c_str(),
                    f.fit.r_squared, max_rel * 100);
      out += "  ";
      out += f.formula;
      out += '\n';
      for (const auto& h : f.held_at_zero) {
        if (h.unconstrained) {
          out += format(
              "  %s held at 0: its unconstrained estimate %s %s is negative\n", h.parameter.c_str(),
              interval_text(*h.unconstrained, h.parameter == "alpha" ? 1.0 : kNsPerUs).c_str(),
              h.parameter == "alpha" ? "us" : "ns/B");
        } else {
          out += format("  %s held at 0: these points cannot tell it from beta (whole chunks)\n",
                        h.parameter.c_str());
        }
      }
    }
    out += "\n";
  }
  if (!report.predictions.empty()) {
    out += format("# predictions (%d%% prediction intervals)\n", pct);
    out += format("%-44s %8s %10s %36s %30s\n", "group", "ranks", "size", "time_us", "busbw_GBps");
    for (const auto& row : report.predictions) {
      const auto& p = row.prediction;
      out += format(
          "%-44s %8lld %10s %36s %30s\n", row.group.c_str(), static_cast<long long>(p.ranks),
          bytes_text(p.size_bytes).c_str(),
          format("%.4g [%.4g, %.4g]", p.time_us.value, p.time_us.lower, p.time_us.upper).c_str(),
          format("%.4g [%.4g, %.4g]", p.busbw_GBps, p.busbw_lower_GBps, p.busbw_upper_GBps)
              .c_str());
    }
    out += "\n";
  }
  if (!report.crossovers.empty()) {
    out += "# crossovers: the predicted times of two algorithms cross\n";
    out +=
        format("%-34s %8s %12s  %s\n", "collective", "ranks", "size (B)", "faster below | above");
    for (const auto& row : report.crossovers)
      out += format("%-34s %8lld %12llu  %s | %s\n", row.collective.c_str(),
                    static_cast<long long>(row.crossover.ranks),
                    static_cast<unsigned long long>(row.crossover.size_bytes),
                    row.crossover.faster_below.c_str(), row.crossover.faster_above.c_str());
    out += "\n";
  }
  if (report.backtest) {
    out += format(
        "# back-test: fitted on the %lld-node subset, predicting the others; error = "
        "(predicted - measured) / measured\n",
        static_cast<long long>(report.backtest->fit_nodes));
    for (const auto& s : report.backtest->series) {
      out += format("%-52s nodes %lld, %lld ranks: median |error| %.1f%% (all sizes), %s (>= 1M)\n",
                    s.series.c_str(), static_cast<long long>(s.nodes),
                    static_cast<long long>(s.ranks), s.median_abs_error * 100,
                    s.median_abs_error_large
                        ? format("%.1f%%", *s.median_abs_error_large * 100).c_str()
                        : "no sizes");
      for (const auto& p : s.points)
        out += format("  %10s  measured %12.4g us  predicted %12.4g us [%.4g, %.4g]  %+7.1f%%\n",
                      bytes_text(p.size_bytes).c_str(), p.measured_us, p.predicted_us.value,
                      p.predicted_us.lower, p.predicted_us.upper, p.relative_error * 100);
    }
    if (report.backtest->series.empty()) out += "  (no other node subsets to predict)\n";
    out += "\n";
  }
  if (!report.skipped.empty()) {
    out += "# not modelled\n";
    for (const auto& s : report.skipped)
      out += format("  %s: %s\n", s.series.c_str(), s.reason.c_str());
  }
  return out;
}

}  // namespace fb::analysis
