// Private: point-to-point series (/series/<name> with kind = "p2p") and link matrices
// (/matrix/<name>), schema version 2. Hdf5Writer and read_file call these; none of them
// flushes. Layout: results/SCHEMA.md.
// Not part of the public API; include results/results.hpp instead.
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

#include "results/hdf5_util.hpp"
#include "results/results.hpp"

namespace fb::results::detail {

// A p2p series open for appending.
struct P2PSeriesHandle {
  std::string name;
  bool latency = false;   // lat_* fields; otherwise bw_GBps and msg_rate_Mps
  bool per_pair = false;  // has per_pair_bw_GBps (test == "multipair")
  hsize_t iterations = 0;
  hsize_t pairs = 0;
  hsize_t rows = 0;  // rows fully written and flushed
  Hid points;
  Hid samples;
  Hid per_pair_bw;
};

// Throw std::invalid_argument when the arguments break the rules in SCHEMA.md; called
// before anything is written.
void validate_p2p_series(const std::string& name, const P2PSeriesInfo& info);
void validate_p2p_point(const P2PSeriesHandle& series, const P2PPointRecord& point,
                        const std::vector<double>& samples_us, const Context& ctx);
void validate_matrix(const std::string& name, const LinkMatrix& matrix);

// Creates the group, its attributes and its empty datasets in `series_root` (/series).
P2PSeriesHandle create_p2p_series(hid_t series_root, const std::string& name,
                                  const P2PSeriesInfo& info, const Context& ctx);
// Writes row `series.rows` of every dataset; the caller flushes, then counts the row.
void write_p2p_row(const P2PSeriesHandle& series, const P2PPointRecord& point,
                   const std::vector<double>& samples_us, const Context& ctx);
// Creates /matrix/<name> in `matrix_root` (/matrix) with its attributes and datasets.
void write_link_matrix(hid_t matrix_root, const std::string& name, const LinkMatrix& matrix,
                       const Context& ctx);

// Readers of an open group (/series/<name> of kind p2p, /matrix/<name>).
P2PSeriesData read_p2p_series(hid_t group, const std::string& name, const Context& ctx);
LinkMatrix read_link_matrix(hid_t group, const std::string& name, const Context& ctx);

}  // namespace fb::results::detail
