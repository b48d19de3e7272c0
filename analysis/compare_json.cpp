// compare: verdicts in words and the JSON document (results/VERDICTS.md, compare section).
#include <cmath>
#include <cstdio>

#include "analysis/compare.hpp"
#include "analysis/compare_detail.hpp"

namespace fb::analysis {

namespace {

// A percentage with the decimals its size needs: 7.3, 0.42, 0.013.
std::string percent(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

int decimals_for(double value) {
  const double magnitude = std::fabs(value);
  return magnitude >= 1 ? 1 : (magnitude >= 0.1 ? 2 : 3);
}

std::string margin_text(double pct) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%g%%", pct);
  return buffer;
}

// B faster by / slower by: the size of the bandwidth change with its interval.
std::string change_text(const char* words, double estimate, double lower, double upper) {
  const int d = decimals_for(estimate);
  return std::string(words) + percent(estimate, d) + "% [" + percent(lower, d) + ", " +
         percent(upper, d) + "]";
}

nlohmann::json interval_json(const std::optional<Interval>& interval) {
  if (!interval) return nullptr;
  const auto number = [](double v) -> nlohmann::json {
    if (std::isfinite(v)) return v;
    return nullptr;
  };
  return {{"estimate", number(interval->estimate)},
          {"lower", number(interval->lower)},
          {"upper", number(interval->upper)},
          {"level", number(interval->level)}};
}

// A median with its interval; bounds null when the sample is too small for one.
nlohmann::json median_json(double median_us, const std::optional<Interval>& interval) {
  if (interval) return interval_json(interval);
  return {{"estimate", median_us}, {"lower", nullptr}, {"upper", nullptr}, {"level", nullptr}};
}

nlohmann::json file_json(const results::FileData& f, const std::string& path) {
  return {{"path", path},
          {"created_utc", f.run.created_utc},
          {"tool_version", f.run.tool_version},
          {"git_revision", f.run.git_revision},
          {"schema_version", f.schema_version},
          {"world_size", f.run.world_size},
          {"hosts", detail::distinct_hosts(f.run.hostnames)},
          {"status", f.run.status}};
}

std::optional<Interval> gain_of(const std::optional<Interval>& ratio) {
  if (!ratio) return std::nullopt;
  return gain_percent(*ratio);
}

nlohmann::json point_json(const PointComparison& p, const CompareOptions& options) {
  const bool compared = p.verdict != Verdict::kNotCompared;
  const auto ratio = compared ? std::optional<Interval>(p.ratio) : std::nullopt;
  return {{"size_bytes", p.size_bytes},
          {"samples_a", p.samples_a},
          {"samples_b", p.samples_b},
          {"median_a_us", median_json(p.median_a_us, p.median_a_interval)},
          {"median_b_us", median_json(p.median_b_us, p.median_b_interval)},
          {"time_ratio", interval_json(ratio)},
          {"time_ratio_tost", interval_json(p.ratio_tost)},
          {"gain_pct", interval_json(gain_of(ratio))},
          {"p_value", compared ? nlohmann::json(p.p_value) : nlohmann::json(nullptr)},
          {"p_holm", compared ? nlohmann::json(p.p_holm) : nlohmann::json(nullptr)},
          {"verdict", verdict_name(p.verdict)},
          {"text", verdict_text(p.verdict, ratio, options, p.note)},
          {"slower_than_allowed", p.slower_than_allowed}};
}

}  // namespace

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kFaster:
      return "faster";
    case Verdict::kSlower:
      return "slower";
    case Verdict::kNoDifference:
      return "no difference";
    case Verdict::kEquivalent:
      return "equivalent";
    case Verdict::kNotCompared:
      break;
  }
  return "not compared";
}

std::string verdict_text(Verdict verdict, const std::optional<Interval>& ratio,
                         const CompareOptions& options, const std::string& note) {
  switch (verdict) {
    case Verdict::kFaster:
    case Verdict::kSlower: {
      if (!ratio) break;
      const Interval gain = gain_percent(*ratio);
      if (verdict == Verdict::kFaster)
        return change_text("B faster by ", gain.estimate, gain.lower, gain.upper);
      return change_text("B slower by ", -gain.estimate, -gain.upper, -gain.lower);
    }
    case Verdict::kNoDifference:
      if (options.equivalence_pct) {
        return "no significant difference, not shown equivalent within " +
               margin_text(*options.equivalence_pct);
      }
      return "no significant difference";
    case Verdict::kEquivalent:
      return "equivalent within " + margin_text(options.equivalence_pct.value_or(0));
    case Verdict::kNotCompared:
      break;
  }
  return note.empty() ? std::string("not compared") : "not compared: " + note;
}

nlohmann::json to_json(const Comparison& c, const results::FileData& a, const std::string& path_a,
                       const results::FileData& b, const std::string& path_b) {
  const auto& o = c.options;
  nlohmann::json doc;
  doc["schema"] = "fabricbench-verdicts";
  doc["schema_version"] = 1;
  doc["command"] = "compare";
  doc["a"] = file_json(a, path_a);
  doc["b"] = file_json(b, path_b);
  doc["settings"] = {
      {"alpha", o.alpha},
      {"level", 1 - o.alpha},
      {"ratio_method", o.ratio_method == RatioMethod::kBootstrap ? "bootstrap" : "hodges-lehmann"},
      {"equivalence_pct", o.equivalence_pct ? nlohmann::json(*o.equivalence_pct) : nullptr},
      {"bw_from_bytes", o.bw_from_bytes},
      {"fail_if_slower_pct",
       o.fail_if_slower_pct ? nlohmann::json(*o.fail_if_slower_pct) : nullptr}};
  doc["refused"] = c.refused();
  doc["differences"] = nlohmann::json::array();
  for (const auto& d : c.differences) {
    doc["differences"].push_back(
        {{"severity", d.severity == Difference::Severity::kRefuse ? "refuse" : "warn"},
         {"scope", d.scope},
         {"what", d.what},
         {"a", d.a},
         {"b", d.b},
         {"message", d.message()}});
  }
  doc["provenance"] = nlohmann::json::array();
  for (const auto& p : c.provenance)
    doc["provenance"].push_back({{"field", p.field}, {"a", p.a}, {"b", p.b}});
  doc["series"] = nlohmann::json::array();
  for (const auto& s : c.series) {
    nlohmann::json identity = nlohmann::json::object();
    for (const auto& [field, value] : s.identity)
      identity[field] = value;
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : s.points)
      points.push_back(point_json(p, o));
    const auto& sum = s.summary;
    doc["series"].push_back({{"kind", s.kind},
                             {"name_a", s.name_a},
                             {"name_b", s.name_b},
                             {"identity", identity},
                             {"points", points},
                             {"sizes_only_in_a", s.sizes_only_in_a},
                             {"sizes_only_in_b", s.sizes_only_in_b},
                             {"summary",
                              {{"sizes_bytes", sum.sizes},
                               {"time_ratio", interval_json(sum.ratio)},
                               {"time_ratio_tost", interval_json(sum.ratio_tost)},
                               {"gain_pct", interval_json(gain_of(sum.ratio))},
                               {"verdict", verdict_name(sum.verdict)},
                               {"text", verdict_text(sum.verdict, sum.ratio, o, sum.note)}}}});
  }
  doc["series_only_in_a"] = c.series_only_in_a;
  doc["series_only_in_b"] = c.series_only_in_b;
  doc["compared_points"] = c.compared_points();
  doc["slower_than_allowed"] = c.slower_than_allowed();
  return doc;
}

}  // namespace fb::analysis
