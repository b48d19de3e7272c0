// Internals of compare (analysis/compare.hpp) shared by its source files.
#pragma once

#include <vector>

#include "analysis/compare.hpp"

namespace fb::analysis::detail {

// Differences of the whole runs (schema, hosts, world size, status).
void add_run_differences(const results::FileData& a, const results::FileData& b,
                         std::vector<Difference>& out);
// Differences of two matched series in what changes their numbers.
void add_series_differences(const results::SeriesData& a, const results::SeriesData& b,
                            std::vector<Difference>& out);
void add_series_differences(const results::P2PSeriesData& a, const results::P2PSeriesData& b,
                            std::vector<Difference>& out);
// Versions, environment, hosts, Slurm.
std::vector<ProvenanceDifference> provenance_differences(const results::RunInfo& a,
                                                         const results::RunInfo& b);
// The distinct host names, in rank order of first appearance.
std::vector<std::string> distinct_hosts(const std::vector<std::string>& hostnames);

}  // namespace fb::analysis::detail
