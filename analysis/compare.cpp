// compare: matching two files' series and points, and the statistics of every matched point.
#include "analysis/compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <span>
#include <stdexcept>

#include "analysis/compare_detail.hpp"

namespace fb::analysis {

namespace {

// The identity of a series as one key: its kind, then every field.
template <typename Series>
std::string identity_key(const char* kind, const Series& series) {
  std::string key = kind;
  for (const auto& [field, value] : series_identity(series)) {
    key += '|';
    key += field;
    key += '=';
    key += value;
  }
  return key;
}

Interval ratio_interval(std::span<const double> a, std::span<const double> b, double level,
                        RatioMethod method) {
  return method == RatioMethod::kBootstrap ? bootstrap_median_ratio(a, b, level)
                                           : hodges_lehmann_ratio(a, b, level);
}

bool excludes_one(const Interval& ratio) {
  return ratio.upper < 1 || ratio.lower > 1;
}

// The smallest ratio B/A whose slowdown counts against --fail-if-slower PCT: the bandwidth
// loss 1 - 1/r exceeds PCT % when r > 1 / (1 - PCT/100).
double slower_limit(double pct) {
  return 1 / (1 - pct / 100);
}

Verdict verdict_of(const Interval& ratio, const std::optional<Interval>& tost, bool significant,
                   const CompareOptions& options) {
  if (options.equivalence_pct && tost && equivalent_within(*tost, *options.equivalence_pct / 100))
    return Verdict::kEquivalent;
  if (!significant) return Verdict::kNoDifference;
  return ratio.upper < 1 ? Verdict::kFaster : Verdict::kSlower;
}

// Samples of one point, dropping what a statistic cannot use.
std::vector<double> usable(const std::vector<double>& samples) {
  std::vector<double> out;
  for (double v : samples)
    if (std::isfinite(v) && v > 0) out.push_back(v);
  return out;
}

PointComparison compare_point(std::uint64_t size_bytes, const std::vector<double>& samples_a,
                              const std::vector<double>& samples_b, const CompareOptions& options) {
  PointComparison p;
  p.size_bytes = size_bytes;
  const auto a = usable(samples_a);
  const auto b = usable(samples_b);
  p.samples_a = a.size();
  p.samples_b = b.size();
  if (a.empty() || b.empty()) {
    p.note = std::string("no positive samples in ") + (a.empty() ? "A" : "B");
    return p;
  }
  const double level = 1 - options.alpha;
  p.median_a_us = median(a);
  p.median_b_us = median(b);
  p.median_a_interval = median_interval(a, level);
  p.median_b_interval = median_interval(b, level);
  if (a.size() < 2 || b.size() < 2) {
    p.note = "fewer than 2 samples in " + std::string(a.size() < 2 ? "A" : "B");
    return p;
  }
  p.ratio = ratio_interval(a, b, level, options.ratio_method);
  if (options.equivalence_pct)
    p.ratio_tost = ratio_interval(a, b, 1 - 2 * options.alpha, options.ratio_method);
  p.p_value = mann_whitney(a, b).p_value;
  p.verdict = Verdict::kNoDifference;  // settled once the series' p-values are adjusted
  return p;
}

// Holm over the compared points of a series, then each point's verdict and gate.
void settle_points(std::vector<PointComparison>& points, const CompareOptions& options) {
  std::vector<double> raw;
  for (const auto& p : points)
    if (p.verdict != Verdict::kNotCompared) raw.push_back(p.p_value);
  const auto adjusted = holm_adjust(raw);
  std::size_t i = 0;
  for (auto& p : points) {
    if (p.verdict == Verdict::kNotCompared) continue;
    p.p_holm = adjusted[i++];
    const bool significant = p.p_holm < options.alpha && excludes_one(p.ratio);
    p.verdict = verdict_of(p.ratio, p.ratio_tost, significant, options);
    p.slower_than_allowed = options.fail_if_slower_pct && significant && p.ratio.lower > 1 &&
                            p.ratio.lower > slower_limit(*options.fail_if_slower_pct);
  }
}

SeriesSummary summarise(const std::vector<PointComparison>& points, const CompareOptions& options) {
  SeriesSummary s;
  std::vector<const PointComparison*> bound;
  for (const auto& p : points) {
    if (p.size_bytes >= options.bw_from_bytes && p.verdict != Verdict::kNotCompared) {
      bound.push_back(&p);
      s.sizes.push_back(p.size_bytes);
    }
  }
  if (bound.empty()) {
    s.note = "no compared size at or above " + std::to_string(options.bw_from_bytes) + " bytes";
    return s;
  }
  if (bound.size() == 1) {
    s.ratio = bound.front()->ratio;
    s.ratio_tost = bound.front()->ratio_tost;
  } else {
    std::vector<double> ratios;
    ratios.reserve(bound.size());
    for (const auto* p : bound)
      ratios.push_back(p->ratio.estimate);
    s.ratio = geometric_mean_ratio(ratios, 1 - options.alpha);
    if (options.equivalence_pct) s.ratio_tost = geometric_mean_ratio(ratios, 1 - 2 * options.alpha);
  }
  s.verdict = verdict_of(*s.ratio, s.ratio_tost, excludes_one(*s.ratio), options);
  return s;
}

// The points of two matched series, by size.
template <typename Series>
SeriesComparison compare_series(const char* kind, const Series& a, const Series& b,
                                const CompareOptions& options) {
  SeriesComparison out;
  out.kind = kind;
  out.name_a = a.name;
  out.name_b = b.name;
  out.identity = series_identity(a);
  std::map<std::uint64_t, std::size_t> rows_b;
  for (std::size_t i = 0; i < b.points.size(); ++i)
    rows_b.emplace(b.points[i].size_bytes, i);
  std::map<std::uint64_t, std::size_t> rows_a;
  for (std::size_t i = 0; i < a.points.size(); ++i)
    rows_a.emplace(a.points[i].size_bytes, i);
  for (const auto& [size, ia] : rows_a) {
    const auto ib = rows_b.find(size);
    if (ib == rows_b.end()) {
      out.sizes_only_in_a.push_back(size);
      continue;
    }
    out.points.push_back(compare_point(size, a.samples_us[ia], b.samples_us[ib->second], options));
  }
  for (const auto& [size, ib] : rows_b)
    if (rows_a.count(size) == 0) out.sizes_only_in_b.push_back(size);
  settle_points(out.points, options);
  out.summary = summarise(out.points, options);
  return out;
}

// Matches the series of one kind: A's order; a series of B matches at most one of A.
template <typename Series>
void match_kind(const char* kind, const std::vector<Series>& a, const std::vector<Series>& b,
                const CompareOptions& options, Comparison& out) {
  std::multimap<std::string, std::size_t> by_key;
  for (std::size_t i = 0; i < b.size(); ++i)
    by_key.emplace(identity_key(kind, b[i]), i);
  std::vector<bool> used(b.size(), false);
  for (const auto& sa : a) {
    const auto [first, last] = by_key.equal_range(identity_key(kind, sa));
    auto it = std::find_if(first, last, [&used](const auto& e) { return !used[e.second]; });
    if (it == last) {
      out.series_only_in_a.push_back(sa.name);
      continue;
    }
    used[it->second] = true;
    const auto& sb = b[it->second];
    detail::add_series_differences(sa, sb, out.differences);
    out.series.push_back(compare_series(kind, sa, sb, options));
  }
  for (std::size_t i = 0; i < b.size(); ++i)
    if (!used[i]) out.series_only_in_b.push_back(b[i].name);
}

// Series that continue another series of their file (more samples of its points, taken by
// `fabricbench qualify` for an inconclusive check) are pooled into it per size, so they are
// compared as the one measurement they are and never listed as extra series. A continuation
// whose series is not in the file stays a series of its own.
template <typename Series>
std::vector<Series> pool_continuations(const std::vector<Series>& all) {
  std::vector<Series> pooled;
  std::map<std::string, std::size_t> index;
  for (const auto& s : all) {
    if (s.info.continues.empty()) {
      index.emplace(s.name, pooled.size());
      pooled.push_back(s);
    }
  }
  for (const auto& s : all) {
    if (s.info.continues.empty()) continue;
    const auto base = index.find(s.info.continues);
    if (base == index.end()) {
      pooled.push_back(s);
      continue;
    }
    auto& target = pooled[base->second];
    for (std::size_t i = 0; i < s.points.size() && i < s.samples_us.size(); ++i) {
      for (std::size_t j = 0; j < target.points.size() && j < target.samples_us.size(); ++j) {
        if (target.points[j].size_bytes != s.points[i].size_bytes) continue;
        auto& samples = target.samples_us[j];
        samples.insert(samples.end(), s.samples_us[i].begin(), s.samples_us[i].end());
      }
    }
  }
  return pooled;
}

}  // namespace

bool Comparison::refused() const {
  return std::any_of(differences.begin(), differences.end(), [](const Difference& d) {
    return d.severity == Difference::Severity::kRefuse;
  });
}

std::size_t Comparison::compared_points() const {
  std::size_t n = 0;
  for (const auto& s : series)
    n +=
        static_cast<std::size_t>(std::count_if(s.points.begin(), s.points.end(), [](const auto& p) {
          return p.verdict != Verdict::kNotCompared;
        }));
  return n;
}

bool Comparison::slower_than_allowed() const {
  for (const auto& s : series)
    for (const auto& p : s.points)
      if (p.slower_than_allowed) return true;
  return false;
}

Interval gain_percent(const Interval& r) {
  const auto gain = [](double ratio) { return (1 / ratio - 1) * 100; };
  return {gain(r.estimate), gain(r.upper), gain(r.lower), r.level};
}

Comparison compare_files(const results::FileData& a, const results::FileData& b,
                         const CompareOptions& options) {
  if (!(options.alpha > 0 && options.alpha < 0.5))
    throw std::invalid_argument("alpha must lie in (0, 0.5)");
  if (options.equivalence_pct &&
      !(*options.equivalence_pct > 0 && std::isfinite(*options.equivalence_pct)))
    throw std::invalid_argument("the equivalence margin must be a percentage > 0");
  if (options.fail_if_slower_pct &&
      !(*options.fail_if_slower_pct >= 0 && *options.fail_if_slower_pct < 100))
    throw std::invalid_argument("the --fail-if-slower percentage must lie in [0, 100)");
  Comparison out;
  out.options = options;
  detail::add_run_differences(a, b, out.differences);
  match_kind("collective", pool_continuations(a.series), pool_continuations(b.series), options,
             out);
  match_kind("p2p", pool_continuations(a.p2p_series), pool_continuations(b.p2p_series), options,
             out);
  out.provenance = detail::provenance_differences(a.run, b.run);
  return out;
}

}  // namespace fb::analysis
