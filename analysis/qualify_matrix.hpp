// Localising a slow link, host or NIC in an all-pairs bandwidth matrix.
//
// Entry (i, j) is what rank i sent to rank j. A slow host or NIC slows its whole row (what
// it sends) and/or its whole column (what it receives); a bad cable or switch port between
// two ranks slows one entry. On log bandwidth, Tukey's median polish splits the matrix into
//   log bw(i, j) = overall + row(i) + column(j) + residual(i, j)
// and the row effects, column effects and residuals are each screened for low outliers
// robustly: a value is an outlier when it lies more than `z_cutoff` robust standard
// deviations (MAD, scaled to the normal) below the median of its kind AND means a drop of
// at least `min_drop` (15 %: a quiet matrix must not flag a 3 % difference, and a noisy one
// not a host 10 % below the others). The MAD is
// floored at `mad_floor` (log scale) so that a matrix of identical links still has a scale.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fb::analysis {

struct MatrixEffects {
  int n = 0;
  double overall = 0;            // log GB/s
  std::vector<double> row;       // n, log factor of each sender
  std::vector<double> column;    // n, log factor of each receiver
  std::vector<double> residual;  // n x n, NaN where not measured
};

// Median polish of log(values) (n x n, row-major, NaN or non-positive entries ignored).
MatrixEffects median_polish_log(std::span<const double> values, int n, int sweeps = 10);

struct LocaliseOptions {
  double z_cutoff = 3.5;
  double min_drop = 0.15;
  double mad_floor = 0.01;
};

struct LinkFinding {
  enum class Kind {
    host_both,      // row and column slow: the host, its NIC or its own cable
    host_outgoing,  // row slow: what the host sends
    host_incoming,  // column slow: what the host receives
    link,           // one entry: the path between two ranks
  };
  Kind kind = Kind::link;
  int rank = -1;  // the host's rank; for a link, the sender
  int peer = -1;  // for a link, the receiver
  std::string host;
  std::string peer_host;
  double factor = 1;  // its bandwidth relative to a typical one (0.5: half)
  std::string text;   // one sentence naming host, rank and direction
};
std::string to_string(LinkFinding::Kind kind);

// The findings, hosts first, then single links; empty for a clean matrix, and for fewer than
// 3 ranks (row and column effects cannot be told apart from a link there).
std::vector<LinkFinding> localise(std::span<const double> bandwidth, int n,
                                  const std::vector<std::string>& hostnames,
                                  const LocaliseOptions& options = {});

}  // namespace fb::analysis
