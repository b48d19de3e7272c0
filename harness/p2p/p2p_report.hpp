// Rank 0's output of `fabricbench p2p`: a table per series on stdout, the link matrix, and
// the same in the HDF5 file; and the links a matrix flags as slow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "results/results.hpp"
#include "topologies/topology.hpp"

namespace fb {

class P2PReport {
 public:
  // `writer` null: tables only (the ranks other than 0 pass none and print nothing).
  P2PReport(results::Hdf5Writer* writer, double line_rate_Gbps)
      : writer_(writer), line_rate_Gbps_(line_rate_Gbps) {}

  void begin(const std::string& name, const results::P2PSeriesInfo& info);
  void point(const results::P2PPointRecord& r, const std::vector<double>& samples,
             std::int64_t wrong);
  void matrix(const std::string& name, const results::LinkMatrix& m);
  // The line rate the bandwidth tables give a percentage of (0: unknown).
  void set_line_rate(double line_rate_Gbps) { line_rate_Gbps_ = line_rate_Gbps; }
  void set_status(const std::string& status) {
    record([&] { writer_->set_status(status); });
  }

  // Why the file could not be written; empty while it could. Once it is set nothing more is
  // written, and the run stops at the next point boundary.
  std::string failure() const { return writer_ != nullptr ? writer_->failure() : std::string(); }

 private:
  // A failed write is recorded by the writer (failure()); the report then only stops writing.
  template <typename Write>
  void record(Write&& write) {
    if (writer_ == nullptr || !writer_->failure().empty()) return;
    try {
      write();
    } catch (const results::ResultsWriteFailed&) {
    }
  }

  static std::string pairs_label_of(const results::P2PSeriesInfo& info);
  results::Hdf5Writer* writer_;
  double line_rate_Gbps_;
  bool latency_ = false;
  std::size_t series_ = 0;
};

// Sets m's median link bandwidth and flags the links whose bandwidth in either direction is
// below m.threshold_fraction of it.
void flag_links(results::LinkMatrix& m);

// Groups m's links (bandwidth, both directions) by where they run in the model: within a
// host, within each leaf, across the spine (hosts on different leaves; "between hosts" when
// the model has no switches). Flags, against m.threshold_fraction:
//  - the spine, when the cross-spine median is below the fraction of the within-leaf median;
//  - a leaf, when the median of the links with an end on it is below the fraction of the
//    median of the links without (at least one of each among hosts on different hosts);
//  - a host likewise, unless its leaf is flagged already.
// Sets m.link_groups and m.flagged_groups.
void group_links(results::LinkMatrix& m, const topo::Topology& model,
                 const topo::Placement& placement);

}  // namespace fb
