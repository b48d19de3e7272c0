// `fabricbench compare A.h5 B.h5` (docs/ANALYSIS.md): pure functions over two results files.
//
// Series are matched by identity (what was measured, not what it is called), points by size.
// Every comparison is of times: the ratio r = time_B / time_A of a point, with its interval,
// and the change of speed reported as the bandwidth gain from A to B, time_A / time_B - 1
// (B faster: gain > 0). A difference is significant when the Holm-adjusted Mann-Whitney
// p-value of the point is below alpha and the ratio's (1 - alpha) interval excludes 1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/stats.hpp"
#include "results/results.hpp"

namespace fb::analysis {

enum class RatioMethod {
  kHodgesLehmann,  // Hodges-Lehmann shift of the log times, Moses interval (default)
  kBootstrap,      // percentile bootstrap of median(B) / median(A)
};

struct CompareOptions {
  double alpha = 0.05;  // significance level; every interval is at 1 - alpha (95 %)
  RatioMethod ratio_method = RatioMethod::kHodgesLehmann;
  // --equivalence PCT: equivalent when the (1 - 2 alpha) interval of the ratio lies inside
  // [1 / (1 + PCT/100), 1 + PCT/100] (two one-sided tests at alpha).
  std::optional<double> equivalence_pct;
  // The series summary covers the sizes at or above this (--bw-from).
  std::uint64_t bw_from_bytes = std::uint64_t{1} << 20;
  // --fail-if-slower PCT: a point fails when it is significantly slower and its whole gain
  // interval lies below -PCT % (B's bandwidth lower by more than PCT %).
  std::optional<double> fail_if_slower_pct;
};

// One field of a series' identity, e.g. {"collective", "allreduce"}. Two series match when
// they are of one kind and every field is equal.
using Field = std::pair<std::string, std::string>;

// Collective: collective, algorithm, transport, dtype, op, ranks, in_place, root (rooted
// collectives), memory, nodes (the node subset "MxK" of a topology sweep, or "all").
// Attributes first; what older files did not record is read from the series name.
std::vector<Field> series_identity(const results::SeriesData& series);
// Point-to-point: test, transport, pairs, window.
std::vector<Field> series_identity(const results::P2PSeriesData& series);

// A difference between the runs in something that changes the numbers.
struct Difference {
  enum class Severity { kRefuse, kWarn };
  Severity severity = Severity::kWarn;
  std::string scope;  // "run", or the series (A's name)
  std::string what;   // e.g. "timing", "parameter segment_bytes"
  std::string a;
  std::string b;
  std::string note;  // why it matters, when not obvious
  std::string message() const;
};

// A difference in provenance (versions, environment, hosts, Slurm): printed, never refused.
struct ProvenanceDifference {
  std::string field;  // e.g. "ucx_version", "env UCX_TLS", "hosts"
  std::string a;      // "(unset)" where the file lacks it
  std::string b;
};

enum class Verdict {
  kFaster,        // significant, B takes less time
  kSlower,        // significant, B takes more time
  kNoDifference,  // not significant (and, with --equivalence, not shown equivalent)
  kEquivalent,    // --equivalence: the TOST interval lies inside the margin
  kNotCompared,   // too few samples; `note` says why
};

struct PointComparison {
  std::uint64_t size_bytes = 0;
  std::size_t samples_a = 0;
  std::size_t samples_b = 0;
  // Medians and their order-statistic intervals (absent when too few samples).
  double median_a_us = 0;
  double median_b_us = 0;
  std::optional<Interval> median_a_interval;
  std::optional<Interval> median_b_interval;
  Interval ratio;                      // time_B / time_A, at 1 - alpha
  std::optional<Interval> ratio_tost;  // at 1 - 2 alpha, with --equivalence
  double p_value = 1;                  // Mann-Whitney, two-sided
  double p_holm = 1;                   // Holm-adjusted over the compared points of the series
  Verdict verdict = Verdict::kNotCompared;
  std::string note;
  bool slower_than_allowed = false;  // --fail-if-slower
};

// The geometric mean of the per-point time ratios over the bandwidth-bound sizes (>=
// bw_from_bytes): never an average of bandwidths. With one size, that point's own interval.
struct SeriesSummary {
  std::vector<std::uint64_t> sizes;
  std::optional<Interval> ratio;
  std::optional<Interval> ratio_tost;
  Verdict verdict = Verdict::kNotCompared;
  std::string note;
};

struct SeriesComparison {
  std::string kind;  // "collective" or "p2p"
  std::string name_a;
  std::string name_b;
  std::vector<Field> identity;
  std::vector<PointComparison> points;  // sizes in both files, increasing
  std::vector<std::uint64_t> sizes_only_in_a;
  std::vector<std::uint64_t> sizes_only_in_b;
  SeriesSummary summary;
};

struct Comparison {
  CompareOptions options;
  std::vector<SeriesComparison> series;  // in A's order
  std::vector<std::string> series_only_in_a;
  std::vector<std::string> series_only_in_b;
  std::vector<Difference> differences;
  std::vector<ProvenanceDifference> provenance;

  bool refused() const;  // a difference of severity kRefuse
  std::size_t compared_points() const;
  bool slower_than_allowed() const;
};

// Throws std::invalid_argument on options out of range (alpha outside (0, 0.5), a negative
// percentage, --fail-if-slower of 100 or more).
Comparison compare_files(const results::FileData& a, const results::FileData& b,
                         const CompareOptions& options);

// The bandwidth gain from A to B in percent, time_A / time_B - 1, from a time ratio B/A and
// its interval (the bounds swap: the upper ratio gives the lower gain).
Interval gain_percent(const Interval& time_ratio);

// "faster", "slower", "no difference", "equivalent", "not compared".
const char* verdict_name(Verdict verdict);
// The verdict in words: "B faster by 7.3% [5.9, 8.8]", "B slower by 4.1% [2.0, 6.3]",
// "no significant difference", "equivalent within 5%", "not compared: <note>".
std::string verdict_text(Verdict verdict, const std::optional<Interval>& ratio,
                         const CompareOptions& options, const std::string& note = "");

// The verdict document of results/VERDICTS.md (compare section).
nlohmann::json to_json(const Comparison& comparison, const results::FileData& a,
                       const std::string& path_a, const results::FileData& b,
                       const std::string& path_b);

}  // namespace fb::analysis
