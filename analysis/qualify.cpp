#include "analysis/qualify.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

namespace fb::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string p2p_test_name(QualifyTest test) {
  switch (test) {
    case QualifyTest::p2p_latency:
      return "latency";
    case QualifyTest::p2p_bandwidth:
      return "bandwidth";
    case QualifyTest::p2p_bibw:
      return "bibw";
    default:
      return "";
  }
}

std::string host_of(const results::FileData& file, int rank) {
  const auto r = static_cast<std::size_t>(rank);
  return rank >= 0 && r < file.run.hostnames.size() ? file.run.hostnames[r] : "?";
}

std::string pair_text(const std::string& a_host, int a, const std::string& b_host, int b) {
  return a_host + " (rank " + std::to_string(a) + ") -> " + b_host + " (rank " + std::to_string(b) +
         ")";
}

// A check with the rule's statistic, thresholds and units filled in.
QualifyCheck base_check(const Profile& profile, const QualifyRule& rule) {
  QualifyCheck c;
  c.rule = rule.name;
  c.test = rule.test;
  c.statistic = statistic_name(rule.quantile);
  c.unit = std::string(measured_unit(rule));
  c.warn_threshold = threshold_in_measured_unit(rule, profile.link, rule.warn);
  c.fail_threshold = threshold_in_measured_unit(rule, profile.link, rule.fail);
  return c;
}

void judge_check(QualifyCheck& c, const QualifyRule& rule, const std::vector<double>& values) {
  JudgeRule j;
  j.higher_is_better = higher_is_better(rule.test);
  j.time_quantile = rule.quantile;
  j.level = rule.level;
  j.warn = c.warn_threshold;
  j.fail = c.fail_threshold;
  c.judgement = judge(values, j);
  const auto extra = static_cast<std::int64_t>(values.size()) - c.first_samples;
  c.budget_left = std::max<std::int64_t>(0, rule.budget - std::max<std::int64_t>(0, extra));
}

QualifyCheck nothing_measured(const Profile& profile, const QualifyRule& rule,
                              const std::string& why) {
  QualifyCheck c = base_check(profile, rule);
  c.name = rule.name;
  c.judgement.note = why;
  return c;
}

bool transport_matches(const std::string& wanted, const std::string& transport) {
  return wanted.empty() || transport == wanted || transport == "none";
}

// Pooled samples per size of a base series and its continuations.
template <typename Series>
std::map<std::uint64_t, std::vector<double>> pooled(const std::vector<Series>& all,
                                                    const Series& base) {
  std::map<std::uint64_t, std::vector<double>> by_size;
  for (const auto& s : all) {
    if (s.name != base.name && s.info.continues != base.name) continue;
    for (std::size_t i = 0; i < s.points.size() && i < s.samples_us.size(); ++i) {
      auto& v = by_size[s.points[i].size_bytes];
      v.insert(v.end(), s.samples_us[i].begin(), s.samples_us[i].end());
    }
  }
  return by_size;
}

void evaluate_p2p(const Profile& profile, const QualifyRule& rule, const results::FileData& file,
                  const std::string& transport, std::vector<QualifyCheck>& out) {
  const std::string test = p2p_test_name(rule.test);
  bool any = false;
  for (const auto& s : file.p2p_series) {
    if (s.info.test != test || !s.info.continues.empty() || s.info.pairs.size() != 1 ||
        !transport_matches(transport, s.info.transport)) {
      continue;
    }
    int a = 0;
    int b = 0;
    if (std::sscanf(s.info.pairs[0].c_str(), "%d-%d", &a, &b) != 2) continue;
    const auto samples = pooled(file.p2p_series, s);
    for (const auto& [size, raw] : samples) {
      if (size < rule.min_bytes || size > rule.max_bytes) continue;
      any = true;
      QualifyCheck c = base_check(profile, rule);
      c.name = rule.name + " " + s.info.transport + " " + format_bytes(size);
      c.transport = s.info.transport;
      c.series = s.name;
      c.size_bytes = size;
      c.from_rank = a;
      c.to_rank = b;
      c.from_host = host_of(file, a);
      c.to_host = host_of(file, b);
      c.concerns = pair_text(c.from_host, a, c.to_host, b);
      if (rule.test == QualifyTest::p2p_bibw) c.concerns += ", both directions";
      c.first_samples = s.info.iterations;
      judge_check(c, rule, p2p_values(s.info, size, raw));
      out.push_back(std::move(c));
    }
  }
  if (!any) {
    out.push_back(nothing_measured(profile, rule,
                                   "no p2p " + test + " series" +
                                       (transport.empty() ? "" : " over " + transport) +
                                       " with a size in [" + format_bytes(rule.min_bytes) + ", " +
                                       format_bytes(rule.max_bytes) + "] in the file"));
  }
}

void evaluate_collective(const Profile& profile, const QualifyRule& rule,
                         const results::FileData& file, const std::string& transport,
                         std::vector<QualifyCheck>& out) {
  bool any = false;
  for (const auto& s : file.series) {
    const auto& i = s.info;
    if (i.collective != rule.collective || i.algorithm != rule.algorithm || i.dtype != rule.dtype ||
        i.memory != "host" || !i.skipped.empty() || !i.continues.empty() ||
        !transport_matches(transport, i.transport)) {
      continue;
    }
    const auto samples = pooled(file.series, s);
    for (const auto& [size, raw] : samples) {
      if (size < rule.min_bytes || size > rule.max_bytes) continue;
      any = true;
      QualifyCheck c = base_check(profile, rule);
      c.name = rule.name + " " + s.name + " " + format_bytes(size);
      c.transport = i.transport;
      c.series = s.name;
      c.size_bytes = size;
      c.concerns = std::to_string(i.n_ranks) + " ranks";
      c.first_samples = i.iterations;
      judge_check(c, rule, collective_values(i, size, raw));
      out.push_back(std::move(c));
    }
  }
  if (!any) {
    out.push_back(nothing_measured(profile, rule,
                                   "no " + rule.collective + " " + rule.algorithm + " " +
                                       rule.dtype + " series with a size in [" +
                                       format_bytes(rule.min_bytes) + ", " +
                                       format_bytes(rule.max_bytes) + "] in the file"));
  }
}

void evaluate_matrix(const Profile& profile, const QualifyRule& rule, const results::FileData& file,
                     const std::string& transport, std::vector<QualifyCheck>& out,
                     std::vector<MatrixFindings>& findings) {
  bool any = false;
  for (const auto& [name, m] : file.matrices) {
    if (!m.continues.empty() || !transport_matches(transport, m.transport) ||
        m.bandwidth_bytes < rule.min_bytes || m.bandwidth_bytes > rule.max_bytes) {
      continue;
    }
    any = true;
    const auto n = static_cast<std::size_t>(m.n_ranks);
    MatrixFindings mf;
    mf.matrix = name;
    mf.transport = m.transport;
    // Pool the entries' samples with the continuations'.
    std::vector<std::vector<double>> values(n * n);
    bool has_samples = m.iterations > 0;
    for (const auto& [other_name, other] : file.matrices) {
      if (other_name != name && other.continues != name) continue;
      if (other.iterations == 0 || other.n_ranks != m.n_ranks) continue;
      for (std::size_t k = 0; k < n * n && k < other.bandwidth_samples_us.size(); ++k) {
        const auto v = matrix_bandwidth_values(other, other.bandwidth_samples_us[k]);
        values[k].insert(values[k].end(), v.begin(), v.end());
      }
    }
    std::vector<double> estimates(n * n, kNaN);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        if (i == j) continue;
        const std::size_t k = i * n + j;
        QualifyCheck c = base_check(profile, rule);
        c.transport = m.transport;
        c.series = name;
        c.size_bytes = m.bandwidth_bytes;
        c.from_rank = static_cast<int>(i);
        c.to_rank = static_cast<int>(j);
        c.from_host = i < m.hostnames.size() ? m.hostnames[i] : "?";
        c.to_host = j < m.hostnames.size() ? m.hostnames[j] : "?";
        c.concerns = pair_text(c.from_host, c.from_rank, c.to_host, c.to_rank);
        c.name = rule.name + " " + m.transport + " " + c.concerns;
        c.first_samples = m.iterations;
        if (has_samples) {
          judge_check(c, rule, values[k]);
          if (c.judgement.interval) estimates[k] = c.judgement.interval->estimate;
        } else {
          c.judgement.note =
              "the matrix keeps no per-entry samples (written before they were recorded): no "
              "interval";
          estimates[k] = m.bandwidth_GBps[k];
        }
        out.push_back(std::move(c));
      }
    }
    if (n < 3) {
      mf.note = "localisation needs at least 3 ranks";
    } else {
      mf.findings = localise(estimates, static_cast<int>(n), m.hostnames);
    }
    findings.push_back(std::move(mf));
  }
  if (!any) {
    out.push_back(nothing_measured(profile, rule,
                                   "no link matrix" +
                                       (transport.empty() ? "" : " over " + transport) + " at " +
                                       format_bytes(rule.min_bytes) + " in the file"));
  }
}

}  // namespace

std::string format_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t u = 0;
  double v = static_cast<double>(bytes);
  while (u + 1 < std::size(units) && v >= 1024 && std::fmod(v, 1024) == 0) {
    v /= 1024;
    ++u;
  }
  char text[48];
  std::snprintf(text, sizeof text, "%g %s", v, units[u]);
  return text;
}

std::vector<double> p2p_values(const results::P2PSeriesInfo& info, std::uint64_t size_bytes,
                               const std::vector<double>& samples_us) {
  if (info.test == "latency") {
    std::vector<double> out;
    for (const double t : samples_us) {
      if (std::isfinite(t)) out.push_back(t);
    }
    return out;
  }
  const double directions = info.test == "bibw" ? 2.0 : 1.0;
  const double pairs = static_cast<double>(std::max<std::size_t>(info.pairs.size(), 1));
  const double bytes =
      static_cast<double>(size_bytes) * static_cast<double>(info.window) * directions * pairs;
  std::vector<double> out;
  out.reserve(samples_us.size());
  for (const double t : samples_us) {
    if (std::isfinite(t) && t > 0) out.push_back(bytes / t / 1e3);  // bytes per us / 1e3 = GB/s
  }
  return out;
}

std::vector<double> collective_values(const results::SeriesInfo& info, std::uint64_t size_bytes,
                                      const std::vector<double>& samples_us) {
  std::vector<double> out;
  out.reserve(samples_us.size());
  for (const double t : samples_us) {
    if (std::isfinite(t) && t > 0)
      out.push_back(info.busbw_factor * static_cast<double>(size_bytes) / t / 1e3);
  }
  return out;
}

std::vector<double> matrix_bandwidth_values(const results::LinkMatrix& matrix,
                                            const std::vector<double>& samples_us) {
  std::vector<double> out;
  const double bytes =
      static_cast<double>(matrix.bandwidth_bytes) * static_cast<double>(matrix.window);
  for (const double t : samples_us) {
    if (std::isfinite(t) && t > 0) out.push_back(bytes / t / 1e3);
  }
  return out;
}

QualifyReport evaluate(const Profile& profile, const results::FileData& file,
                       const std::string& transport) {
  QualifyReport report;
  report.profile = profile.name;
  report.profile_source = profile.source;
  report.link = profile.link;
  for (const auto& rule : profile.rules) {
    switch (rule.test) {
      case QualifyTest::p2p_latency:
      case QualifyTest::p2p_bandwidth:
      case QualifyTest::p2p_bibw:
        evaluate_p2p(profile, rule, file, transport, report.checks);
        break;
      case QualifyTest::collective:
        evaluate_collective(profile, rule, file, transport, report.checks);
        break;
      case QualifyTest::link_matrix:
        evaluate_matrix(profile, rule, file, transport, report.checks, report.matrices);
        break;
    }
  }
  report.overall = report.checks.empty() ? Verdict::inconclusive : Verdict::pass;
  for (const auto& c : report.checks)
    report.overall = worst(report.overall, c.judgement.verdict);
  return report;
}

}  // namespace fb::analysis
