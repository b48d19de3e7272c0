// `fabricbench qualify`'s judgement: a profile's rules applied to a results file, one check
// per measured point (size, or link of a matrix) in each rule's window, each with its
// verdict from a confidence interval (analysis/qualify_judge.hpp), and the link matrix's
// slow hosts and links localised (analysis/qualify_matrix.hpp). Pure: reads FileData only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/qualify_judge.hpp"
#include "analysis/qualify_matrix.hpp"
#include "analysis/qualify_profile.hpp"
#include "results/results.hpp"

namespace fb::analysis {

struct QualifyCheck {
  std::string name;  // e.g. "p2p-bandwidth ucx 1 MiB", "link-bandwidth ucx h0 -> h2"
  std::string rule;
  QualifyTest test = QualifyTest::p2p_bandwidth;
  std::string transport;
  std::string series;  // the base series or matrix ("" when nothing was measured)
  std::uint64_t size_bytes = 0;
  // Whom it concerns: ranks (-1 when not one pair) and their hosts, and a sentence.
  int from_rank = -1;
  int to_rank = -1;
  std::string from_host;
  std::string to_host;
  std::string concerns;
  std::string statistic;  // "median", "p99"
  std::string unit;       // of the interval and thresholds: "GB/s" or "us"
  double warn_threshold = 0;
  double fail_threshold = 0;
  Judgement judgement;
  // Samples of the first measurement of this point, and how many more the rule's budget
  // still allows (for re-measuring an inconclusive check).
  std::int64_t first_samples = 0;
  std::int64_t budget_left = 0;
};

struct MatrixFindings {
  std::string matrix;  // its name in the file
  std::string transport;
  std::vector<LinkFinding> findings;
  std::string note;  // e.g. why nothing could be localised
};

struct QualifyReport {
  std::string profile;
  std::string profile_source;
  LinkModel link;
  std::vector<QualifyCheck> checks;
  std::vector<MatrixFindings> matrices;
  Verdict overall = Verdict::pass;  // the worst check; INCONCLUSIVE when there is none
};

// Judges every rule of `profile` on `file`. `transport`: only series and matrices measured
// over it ("" = every transport found, each its own checks). A rule with nothing measured in
// its window gives one INCONCLUSIVE check saying so. Series and matrices whose `continues`
// names another are pooled with it, per size (per entry for a matrix).
QualifyReport evaluate(const Profile& profile, const results::FileData& file,
                       const std::string& transport = "");

// Per-iteration samples in the unit judged (GB/s for rates, us for latency), from a p2p
// series point (rates: size x window, x2 for bibw, over the window time), a collective point
// (bus bandwidth: busbw_factor x size over the time) or a matrix entry's window times.
// Samples that are not finite (or, for times behind rates, not positive) are left out.
std::vector<double> p2p_values(const results::P2PSeriesInfo& info, std::uint64_t size_bytes,
                               const std::vector<double>& samples_us);
std::vector<double> collective_values(const results::SeriesInfo& info, std::uint64_t size_bytes,
                                      const std::vector<double>& samples_us);
std::vector<double> matrix_bandwidth_values(const results::LinkMatrix& matrix,
                                            const std::vector<double>& samples_us);

// "8 B", "256 KiB", "1 MiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace fb::analysis
