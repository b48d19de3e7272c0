#include "analysis/qualify_output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

namespace fb::analysis {

namespace {

std::string figure(double v) {
  if (!std::isfinite(v)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

std::string percent(double level) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", level * 100);
  return text;
}

std::string value_text(const QualifyCheck& c) {
  const auto& j = c.judgement;
  if (!j.interval) return "-";
  return figure(j.interval->estimate) + " [" + figure(j.interval->lower) + ", " +
         figure(j.interval->upper) + "] " + c.unit + " @" + percent(j.interval->level);
}

std::string threshold_text(const QualifyCheck& c) {
  const bool higher = higher_is_better(c.test);
  return std::string(higher ? ">=" : "<=") + figure(c.warn_threshold) + " warn, " +
         (higher ? ">=" : "<=") + figure(c.fail_threshold) + " fail " + c.unit;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

}  // namespace

std::string format_verdict_table(const QualifyReport& report) {
  std::string out;
  char line[4096];
  std::snprintf(line, sizeof line,
                "# qualify: profile %s (%s), line rate %s Gb/s per NIC, %d NIC(s) per node%s\n",
                report.profile.c_str(), report.profile_source.c_str(),
                figure(report.link.line_rate_Gbps).c_str(), report.link.nics_per_node,
                report.link.pcie_cap_Gbps
                    ? (", PCIe cap " + figure(*report.link.pcie_cap_Gbps) + " Gb/s").c_str()
                    : "");
  out += line;
  int width = 5;  // of the check column: the longest name
  for (const auto& c : report.checks)
    width = std::max(width, static_cast<int>(c.name.size()));
  std::snprintf(line, sizeof line, "# %-12s %-*s %-8s %-40s %-34s %7s  %s\n", "verdict", width,
                "check", "stat", "value [interval] @level", "threshold", "samples", "concerns");
  out += line;
  std::map<Verdict, int> counts;
  for (const auto& c : report.checks) {
    ++counts[c.judgement.verdict];
    std::snprintf(line, sizeof line, "  %-12s %-*s %-8s %-40s %-34s %7zu  %s\n",
                  std::string(to_string(c.judgement.verdict)).c_str(), width, c.name.c_str(),
                  c.statistic.c_str(), value_text(c).c_str(), threshold_text(c).c_str(),
                  c.judgement.samples, c.concerns.c_str());
    out += line;
    if (!c.judgement.note.empty() && c.judgement.verdict == Verdict::inconclusive) {
      out += "  " + std::string(12, ' ') + " (" + c.judgement.note + ")\n";
    }
  }
  for (const auto& m : report.matrices) {
    if (!m.note.empty()) out += "# links " + m.matrix + ": " + m.note + "\n";
    if (m.findings.empty() && m.note.empty()) {
      out += "# links " + m.matrix + ": no slow host or link stands out\n";
    }
    for (const auto& f : m.findings)
      out += "# SLOW " + std::string(f.kind == LinkFinding::Kind::link ? "LINK" : "HOST") + " (" +
             m.matrix + "): " + f.text + "\n";
  }
  std::snprintf(line, sizeof line, "# %zu checks: %d PASS, %d WARN, %d INCONCLUSIVE, %d FAIL: %s\n",
                report.checks.size(), counts[Verdict::pass], counts[Verdict::warn],
                counts[Verdict::inconclusive], counts[Verdict::fail],
                std::string(to_string(report.overall)).c_str());
  out += line;
  return out;
}

nlohmann::json verdicts_json(const QualifyReport& report, const std::string& file) {
  using nlohmann::json;
  json doc;
  doc["schema"] = "fabricbench-verdicts";
  doc["schema_version"] = 1;
  doc["command"] = "qualify";
  doc["file"] = file;
  json link;
  link["line_rate_Gbps"] = report.link.line_rate_Gbps;
  link["nics_per_node"] = report.link.nics_per_node;
  link["pcie_cap_Gbps"] =
      report.link.pcie_cap_Gbps ? json(*report.link.pcie_cap_Gbps) : json(nullptr);
  link["nic_Gbps"] = report.link.nic_Gbps();
  doc["profile"] = {{"name", report.profile}, {"source", report.profile_source}, {"link", link}};
  doc["overall"] = std::string(to_string(report.overall));
  std::map<std::string, int> counts{{"PASS", 0}, {"WARN", 0}, {"INCONCLUSIVE", 0}, {"FAIL", 0}};
  json checks = json::array();
  for (const auto& c : report.checks) {
    ++counts[std::string(to_string(c.judgement.verdict))];
    json j;
    j["check"] = c.name;
    j["rule"] = c.rule;
    j["test"] = std::string(to_string(c.test));
    j["transport"] = c.transport;
    j["series"] = c.series;
    j["size_bytes"] = c.size_bytes;
    j["concerns"] = {{"text", c.concerns},
                     {"from_rank", c.from_rank >= 0 ? json(c.from_rank) : json(nullptr)},
                     {"to_rank", c.to_rank >= 0 ? json(c.to_rank) : json(nullptr)},
                     {"from_host", c.from_host},
                     {"to_host", c.to_host}};
    j["statistic"] = c.statistic;
    j["unit"] = c.unit;
    j["higher_is_better"] = higher_is_better(c.test);
    if (c.judgement.interval) {
      const auto& i = *c.judgement.interval;
      j["value"] = {
          {"estimate", i.estimate}, {"lower", i.lower}, {"upper", i.upper}, {"level", i.level}};
    } else {
      j["value"] = nullptr;
    }
    j["samples"] = c.judgement.samples;
    j["thresholds"] = {{"warn", c.warn_threshold}, {"fail", c.fail_threshold}};
    j["verdict"] = std::string(to_string(c.judgement.verdict));
    j["note"] = c.judgement.note;
    checks.push_back(std::move(j));
  }
  doc["counts"] = counts;
  doc["checks"] = std::move(checks);
  json findings = json::array();
  for (const auto& m : report.matrices) {
    for (const auto& f : m.findings) {
      findings.push_back({{"matrix", m.matrix},
                          {"transport", m.transport},
                          {"kind", to_string(f.kind)},
                          {"rank", f.rank},
                          {"host", f.host},
                          {"peer_rank", f.peer >= 0 ? json(f.peer) : json(nullptr)},
                          {"peer_host", f.peer >= 0 ? json(f.peer_host) : json(nullptr)},
                          {"factor", number_or_null(f.factor)},
                          {"text", f.text}});
    }
  }
  doc["findings"] = std::move(findings);
  return doc;
}

std::string verdicts_junit(const QualifyReport& report) {
  int failures = 0;
  int skipped = 0;
  for (const auto& c : report.checks) {
    failures += c.judgement.verdict == Verdict::fail ? 1 : 0;
    skipped += c.judgement.verdict == Verdict::inconclusive ? 1 : 0;
  }
  const std::string suite = "fabricbench qualify " + report.profile;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"" + xml_escape(suite) + "\" tests=\"" +
         std::to_string(report.checks.size()) + "\" failures=\"" + std::to_string(failures) +
         "\" skipped=\"" + std::to_string(skipped) + "\" errors=\"0\">\n";
  out += "  <testsuite name=\"" + xml_escape(suite) + "\" tests=\"" +
         std::to_string(report.checks.size()) + "\" failures=\"" + std::to_string(failures) +
         "\" skipped=\"" + std::to_string(skipped) + "\" errors=\"0\">\n";
  for (const auto& c : report.checks) {
    const auto& j = c.judgement;
    out += "    <testcase classname=\"qualify." + xml_escape(c.rule) + "\" name=\"" +
           xml_escape(c.name) + "\">\n      <properties>\n";
    auto property = [&out](const std::string& name, const std::string& value) {
      out += "        <property name=\"" + name + "\" value=\"" + xml_escape(value) + "\"/>\n";
    };
    property("verdict", std::string(to_string(j.verdict)));
    property("statistic", c.statistic);
    property("value", j.interval ? figure(j.interval->estimate) : "");
    property("lower", j.interval ? figure(j.interval->lower) : "");
    property("upper", j.interval ? figure(j.interval->upper) : "");
    property("level", j.interval ? figure(j.interval->level) : "");
    property("unit", c.unit);
    property("warn_threshold", figure(c.warn_threshold));
    property("fail_threshold", figure(c.fail_threshold));
    property("samples", std::to_string(j.samples));
    property("concerns", c.concerns);
    out += "      </properties>\n";
    const std::string summary = value_text(c) + " vs " + threshold_text(c);
    if (j.verdict == Verdict::fail) {
      out += "      <failure message=\"" +
             xml_escape(c.statistic + " " + summary + " (" + c.concerns + ")") +
             "\" type=\"FAIL\"/>\n";
    } else if (j.verdict == Verdict::inconclusive) {
      out += "      <skipped message=\"" +
             xml_escape("INCONCLUSIVE: " + (j.note.empty() ? summary : j.note)) + "\"/>\n";
    } else if (j.verdict == Verdict::warn) {
      out += "      <system-out>" + xml_escape("WARN: " + c.statistic + " " + summary) +
             "</system-out>\n";
    }
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

results::VerdictSet verdict_set(const QualifyReport& report, const std::string& created_utc,
                                const std::string& command_line) {
  results::VerdictSet v;
  v.profile = report.profile;
  v.profile_source = report.profile_source;
  v.line_rate_Gbps = report.link.line_rate_Gbps;
  v.created_utc = created_utc;
  v.command_line = command_line;
  v.overall = std::string(to_string(report.overall));
  for (const auto& m : report.matrices) {
    for (const auto& f : m.findings)
      v.findings.push_back(m.matrix + ": " + f.text);
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& c : report.checks) {
    results::VerdictCheck r;
    r.check = c.name;
    r.rule = c.rule;
    r.test = std::string(to_string(c.test));
    r.series = c.series;
    r.concerns = c.concerns;
    r.statistic = c.statistic;
    r.unit = c.unit;
    r.verdict = std::string(to_string(c.judgement.verdict));
    r.note = c.judgement.note;
    r.size_bytes = c.size_bytes;
    r.samples = c.judgement.samples;
    r.estimate = c.judgement.interval ? c.judgement.interval->estimate : nan;
    r.lower = c.judgement.interval ? c.judgement.interval->lower : nan;
    r.upper = c.judgement.interval ? c.judgement.interval->upper : nan;
    r.level = c.judgement.interval ? c.judgement.interval->level : nan;
    r.warn_threshold = c.warn_threshold;
    r.fail_threshold = c.fail_threshold;
    v.checks.push_back(std::move(r));
  }
  return v;
}

}  // namespace fb::analysis
