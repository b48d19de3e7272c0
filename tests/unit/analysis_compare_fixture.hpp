// Synthetic results files and samples with known answers for the compare tests
// (analysis_compare_test.cpp, analysis_compare_match_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analysis/compare.hpp"

namespace fb::analysis {
namespace {

using results::FileData;
using results::P2PSeriesData;
using results::SeriesData;

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = kKiB * kKiB;

// n samples spread evenly over [t, 1.05 t] in a scrambled order (a low-discrepancy sequence):
// a known, deterministic sample with a median interval of about +-1 %.
inline std::vector<double> spread(double t, int n = 30) {
  std::vector<double> out;
  for (int k = 0; k < n; ++k) {
    const double u = std::fmod(k * 0.6180339887498949, 1.0);
    out.push_back(t * (1 + 0.05 * u));
  }
  return out;
}

inline std::vector<double> scaled(const std::vector<double>& v, double factor) {
  std::vector<double> out;
  out.reserve(v.size());
  for (double x : v)
    out.push_back(x * factor);
  return out;
}

inline FileData file(int hosts = 2) {
  FileData f;
  f.schema = "fabricbench";
  f.schema_version = 2;
  f.run.tool_version = "0.1.0";
  f.run.git_revision = "abc123";
  f.run.created_utc = "2026-11-30T12:00:00Z";
  f.run.world_size = 2;
  const std::vector<std::string> names{"h0", "h1"};
  for (int r = 0; r < 2; ++r)
    f.run.hostnames.push_back(names[static_cast<std::size_t>(r % hosts)]);
  f.run.mpi_version = "Open MPI 4.1.4";
  f.run.ucx_version = "1.13.1";
  f.run.hdf5_version = "1.10.8";
  f.run.status = "complete";
  return f;
}

// A ring all-reduce series over ucx with `samples` at each of `sizes`.
SeriesData series(const std::vector<std::uint64_t>& sizes,
                  const std::vector<std::vector<double>>& samples,
                  std::string name = "allreduce.ring.ucx.float32.sum") {
  SeriesData s;
  s.name = std::move(name);
  s.info.collective = "allreduce";
  s.info.algorithm = "ring";
  s.info.transport = "ucx";
  s.info.dtype = "float32";
  s.info.op = "sum";
  s.info.n_ranks = 2;
  s.info.iterations = static_cast<std::int64_t>(samples.front().size());
  s.info.warmup = 2;
  s.info.parameters = {{"segment_bytes", 1 << 20}, {"slots", 2}, {"in_place", 0}};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    results::PointRecord p;
    p.size_bytes = sizes[i];
    p.iterations = samples[i].size();
    s.points.push_back(p);
    s.samples_us.push_back(samples[i]);
  }
  return s;
}

// One series per file, A's samples `a` at every size, B's `a` scaled by `factor`.
std::pair<FileData, FileData> scaled_pair(const std::vector<std::uint64_t>& sizes, double factor,
                                          const std::vector<double>& base = spread(100)) {
  FileData a = file();
  FileData b = file();
  std::vector<std::vector<double>> sa;
  std::vector<std::vector<double>> sb;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    sa.push_back(scaled(base, static_cast<double>(i + 1)));
    sb.push_back(scaled(sa.back(), factor));
  }
  a.series.push_back(series(sizes, sa));
  b.series.push_back(series(sizes, sb));
  return {a, b};
}

inline const PointComparison& only_point(const Comparison& c) {
  EXPECT_EQ(c.series.size(), 1u);
  EXPECT_EQ(c.series.at(0).points.size(), 1u);
  return c.series.at(0).points.at(0);
}

}  // namespace
}  // namespace fb::analysis
