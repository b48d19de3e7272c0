// Shared fixtures and helpers of the results tests (results_test.cpp, results_p2p_test.cpp).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/results.hpp"

#if __has_include(<hdf5.h>)
#include <hdf5.h>
#define FB_RESULTS_TEST_HAVE_HDF5 1
#endif

namespace fb::results {
namespace results_test {

namespace fs = std::filesystem;

inline RunInfo make_run(std::int64_t world_size) {
  RunInfo run;
  run.tool_version = "0.1.0";
  run.git_revision = "0123456789ab-dirty";
  run.created_utc = "2026-11-21T21:39:52Z";
  run.command_line = "fabricbench run --collective allreduce --sizes '8:1M' \"quoted\"";
  run.world_size = world_size;
  for (std::int64_t rank = 0; rank < world_size; ++rank) {
    // One non-ASCII name checks the UTF-8 round trip.
    run.hostnames.push_back(rank == 1 ? "n\xC3\xB6"
                                        "de-01"
                                      : "node-" + std::to_string(rank));
  }
  run.mpi_version = "Open MPI v4.1.4";
  run.ucx_version = "1.13.1";
  run.hdf5_version = hdf5_library_version();
  return run;
}

inline SeriesInfo make_info(const std::string& collective, std::int64_t iterations,
                            std::vector<std::pair<std::string, std::int64_t>> parameters) {
  SeriesInfo info;
  info.collective = collective;
  info.algorithm = "ring";
  info.transport = "ucx";
  info.dtype = "float32";
  info.op = collective == "allreduce" ? "sum" : "none";
  info.n_ranks = 4;
  info.iterations = iterations;
  info.warmup = 2;
  info.busbw_factor = collective == "allreduce" ? 2.0 * 3.0 / 4.0 : 1.0;
  info.description = "pipelined ring for " + collective + " (\u00e9t\u00e9)";
  info.parameters = std::move(parameters);
  return info;
}

struct Point {
  PointRecord record;
  std::vector<double> samples;
};

// A point whose statistics are consistent with its samples, as check_results.py expects.
inline Point make_point(std::uint64_t size_bytes, std::size_t iterations, double busbw_factor,
                        std::int64_t wrong) {
  Point p;
  for (std::size_t i = 0; i < iterations; ++i) {
    p.samples.push_back(static_cast<double>(size_bytes) / 3.0e3 + 1.0 / 7.0 +
                        static_cast<double>((i * 11) % iterations) * 0.013);
  }
  std::vector<double> sorted = p.samples;
  std::sort(sorted.begin(), sorted.end());
  PointRecord& r = p.record;
  r.size_bytes = size_bytes;
  r.count = size_bytes / 4;
  r.iterations = iterations;
  r.time_min_us = sorted.front();
  r.time_max_us = sorted.back();
  r.time_median_us = sorted[sorted.size() / 2];
  r.time_mean_us =
      std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(sorted.size());
  r.time_p99_us = sorted[(sorted.size() * 99) / 100];
  r.algbw_GBps = static_cast<double>(size_bytes) / r.time_median_us / 1e3;
  r.busbw_GBps = r.algbw_GBps * busbw_factor;
  r.wrong = wrong;
  return p;
}

inline void expect_same_point(const PointRecord& a, const PointRecord& b) {
  EXPECT_EQ(a.size_bytes, b.size_bytes);
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.time_min_us, b.time_min_us);
  EXPECT_EQ(a.time_median_us, b.time_median_us);
  EXPECT_EQ(a.time_mean_us, b.time_mean_us);
  EXPECT_EQ(a.time_p99_us, b.time_p99_us);
  EXPECT_EQ(a.time_max_us, b.time_max_us);
  EXPECT_EQ(a.algbw_GBps, b.algbw_GBps);
  EXPECT_EQ(a.busbw_GBps, b.busbw_GBps);
  EXPECT_EQ(a.wrong, b.wrong);
}

inline void expect_same_run(const RunInfo& a, const RunInfo& b) {
  EXPECT_EQ(a.tool_version, b.tool_version);
  EXPECT_EQ(a.git_revision, b.git_revision);
  EXPECT_EQ(a.created_utc, b.created_utc);
  EXPECT_EQ(a.command_line, b.command_line);
  EXPECT_EQ(a.world_size, b.world_size);
  EXPECT_EQ(a.hostnames, b.hostnames);
  EXPECT_EQ(a.mpi_version, b.mpi_version);
  EXPECT_EQ(a.ucx_version, b.ucx_version);
  EXPECT_EQ(a.hdf5_version, b.hdf5_version);
}

inline void expect_same_info(const SeriesInfo& a, const SeriesInfo& b) {
  EXPECT_EQ(a.collective, b.collective);
  EXPECT_EQ(a.algorithm, b.algorithm);
  EXPECT_EQ(a.transport, b.transport);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.op, b.op);
  EXPECT_EQ(a.n_ranks, b.n_ranks);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.warmup, b.warmup);
  EXPECT_EQ(a.busbw_factor, b.busbw_factor);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.parameters, b.parameters);
}

// Runs `body` and returns the message of the std::runtime_error it throws.
template <typename F>
inline std::string runtime_error_message(F&& body) {
  try {
    body();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::runtime_error thrown";
  return {};
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline P2PSeriesInfo make_p2p_info(const std::string& test, std::int64_t iterations,
                                   std::vector<std::string> pairs) {
  P2PSeriesInfo info;
  info.test = test;
  info.transport = "ucx";
  info.n_ranks = 4;
  info.iterations = iterations;
  info.warmup = 3;
  info.window = test == "latency" ? 1 : 16;
  info.pairs = std::move(pairs);
  info.line_rate_Gbps = 200.0;
  return info;
}

struct P2PPoint {
  P2PPointRecord record;
  std::vector<double> samples;
};

inline double percentile(const std::vector<double>& sorted, std::size_t per_mille) {
  return sorted[(sorted.size() * per_mille) / 1000];
}

// Half round trips whose statistics match the lat_* fields.
inline P2PPoint make_latency_point(std::uint64_t size_bytes, std::size_t iterations) {
  P2PPoint p;
  for (std::size_t i = 0; i < iterations; ++i) {
    p.samples.push_back(1.25 + static_cast<double>(size_bytes) / 1.0e4 +
                        static_cast<double>((i * 7) % iterations) * 0.011);
  }
  std::vector<double> sorted = p.samples;
  std::sort(sorted.begin(), sorted.end());
  P2PPointRecord& r = p.record;
  r.size_bytes = size_bytes;
  r.iterations = iterations;
  r.lat_min_us = sorted.front();
  r.lat_p50_us = percentile(sorted, 500);
  r.lat_p90_us = percentile(sorted, 900);
  r.lat_p99_us = percentile(sorted, 990);
  r.lat_p999_us = percentile(sorted, 999);
  r.lat_max_us = sorted.back();
  return p;
}

// Times of one window of messages, aggregate bandwidth and message rate over `pairs` pairs;
// one bandwidth per pair when `per_pair`.
inline P2PPoint make_bandwidth_point(std::uint64_t size_bytes, std::size_t iterations,
                                     std::int64_t window, std::size_t pairs, bool per_pair) {
  P2PPoint p;
  const double bytes = static_cast<double>(size_bytes) * static_cast<double>(window);
  for (std::size_t i = 0; i < iterations; ++i) {
    p.samples.push_back(0.5 + bytes / 1.2e4 + static_cast<double>((i * 3) % iterations) * 0.02);
  }
  std::vector<double> sorted = p.samples;
  std::sort(sorted.begin(), sorted.end());
  const double median_us = sorted[sorted.size() / 2];
  P2PPointRecord& r = p.record;
  r.size_bytes = size_bytes;
  r.iterations = iterations;
  r.bw_GBps = static_cast<double>(pairs) * bytes / median_us / 1e3;
  r.msg_rate_Mps = static_cast<double>(pairs) * static_cast<double>(window) / median_us;
  for (std::size_t k = 0; per_pair && k < pairs; ++k) {
    r.per_pair_GBps.push_back(r.bw_GBps / static_cast<double>(pairs) *
                              (1.0 + 0.01 * static_cast<double>(k)));
  }
  return p;
}

inline void expect_same_p2p_info(const P2PSeriesInfo& a, const P2PSeriesInfo& b) {
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(a.transport, b.transport);
  EXPECT_EQ(a.n_ranks, b.n_ranks);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.warmup, b.warmup);
  EXPECT_EQ(a.window, b.window);
  EXPECT_EQ(a.pairs, b.pairs);
  EXPECT_EQ(a.line_rate_Gbps, b.line_rate_Gbps);
}

inline void expect_same_p2p_point(const P2PPointRecord& a, const P2PPointRecord& b) {
  EXPECT_EQ(a.size_bytes, b.size_bytes);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.lat_min_us, b.lat_min_us);
  EXPECT_EQ(a.lat_p50_us, b.lat_p50_us);
  EXPECT_EQ(a.lat_p90_us, b.lat_p90_us);
  EXPECT_EQ(a.lat_p99_us, b.lat_p99_us);
  EXPECT_EQ(a.lat_p999_us, b.lat_p999_us);
  EXPECT_EQ(a.lat_max_us, b.lat_max_us);
  EXPECT_EQ(a.bw_GBps, b.bw_GBps);
  EXPECT_EQ(a.msg_rate_Mps, b.msg_rate_Mps);
  EXPECT_EQ(a.per_pair_GBps, b.per_pair_GBps);
}

// What read_file gives back for a written point: a latency series keeps only the lat_*
// fields, the other tests only bw_GBps and msg_rate_Mps, and only multipair the per-pair row.
inline P2PPointRecord stored_p2p_point(const std::string& test, const P2PPointRecord& written) {
  P2PPointRecord r;
  r.size_bytes = written.size_bytes;
  r.iterations = written.iterations;
  if (test == "latency") {
    r.lat_min_us = written.lat_min_us;
    r.lat_p50_us = written.lat_p50_us;
    r.lat_p90_us = written.lat_p90_us;
    r.lat_p99_us = written.lat_p99_us;
    r.lat_p999_us = written.lat_p999_us;
    r.lat_max_us = written.lat_max_us;
  } else {
    r.bw_GBps = written.bw_GBps;
    r.msg_rate_Mps = written.msg_rate_Mps;
    if (test == "multipair") {
      r.per_pair_GBps = written.per_pair_GBps;
    }
  }
  return r;
}

inline void expect_p2p_series(const P2PSeriesData& got, const std::string& name,
                              const P2PSeriesInfo& info, const std::vector<P2PPoint>& points) {
  SCOPED_TRACE(name);
  EXPECT_EQ(got.name, name);
  expect_same_p2p_info(got.info, info);
  ASSERT_EQ(got.points.size(), points.size());
  ASSERT_EQ(got.samples_us.size(), points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    expect_same_p2p_point(got.points[i], stored_p2p_point(info.test, points[i].record));
    EXPECT_EQ(got.samples_us[i], points[i].samples);
  }
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// An n x n matrix over `hostnames`: NaN on the diagonal and for the pair (0, n-1) in both
// directions (not measured); the pair (1, 2) is slow and flagged when flag_slow is set.
inline LinkMatrix make_matrix(const std::vector<std::string>& hostnames, bool flag_slow) {
  LinkMatrix m;
  const std::size_t n = hostnames.size();
  m.transport = "ucx";
  m.n_ranks = static_cast<std::int64_t>(n);
  m.hostnames = hostnames;
  m.latency_bytes = 8;
  m.bandwidth_bytes = 4u << 20;
  m.threshold_fraction = 0.8;
  m.line_rate_Gbps = 100.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const bool unmeasured_pair = n > 2 && ((i == 0 && j == n - 1) || (i == n - 1 && j == 0));
      const bool measured = i != j && !unmeasured_pair;
      const bool slow = flag_slow && ((i == 1 && j == 2) || (i == 2 && j == 1));
      m.latency_us.push_back(measured ? 1.5 + 0.1 * static_cast<double>(i + 2 * j) : kNaN);
      m.bandwidth_GBps.push_back(measured ? (slow ? 3.5 : 11.0 + 0.01 * static_cast<double>(j))
                                          : kNaN);
    }
  }
  m.median_bandwidth_GBps = 11.01;
  if (flag_slow) {
    m.flagged.push_back(hostnames[1] + " (rank 1) <-> " + hostnames[2] + " (rank 2): 3.5 GB/s");
  }
  return m;
}

// Element-wise equality with NaN equal to NaN.
inline void expect_same_values(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i])) << "entry " << i << " is " << b[i] << ", expected NaN";
    } else {
      EXPECT_EQ(a[i], b[i]) << "entry " << i;
    }
  }
}

inline void expect_same_matrix(const LinkMatrix& a, const LinkMatrix& b) {
  EXPECT_EQ(a.transport, b.transport);
  EXPECT_EQ(a.n_ranks, b.n_ranks);
  EXPECT_EQ(a.hostnames, b.hostnames);
  EXPECT_EQ(a.latency_bytes, b.latency_bytes);
  EXPECT_EQ(a.bandwidth_bytes, b.bandwidth_bytes);
  EXPECT_EQ(a.threshold_fraction, b.threshold_fraction);
  EXPECT_EQ(a.median_bandwidth_GBps, b.median_bandwidth_GBps);
  EXPECT_EQ(a.flagged, b.flagged);
  EXPECT_EQ(a.line_rate_Gbps, b.line_rate_Gbps);
  expect_same_values(a.latency_us, b.latency_us);
  expect_same_values(a.bandwidth_GBps, b.bandwidth_GBps);
}

#ifdef FB_RESULTS_TEST_HAVE_HDF5
// A closed results file opened for direct edits with the C API, to fake files from other
// versions.
class RawFile {
 public:
  explicit RawFile(const fs::path& path)
      : file_(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {}
  ~RawFile() {
    if (file_ >= 0) {
      H5Fclose(file_);
    }
  }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;

  hid_t id() const { return file_; }

 private:
  hid_t file_;
};

inline void set_schema_version(hid_t file, std::int64_t version) {
  const hid_t attribute = H5Aopen(file, "schema_version", H5P_DEFAULT);
  ASSERT_GE(attribute, 0);
  EXPECT_GE(H5Awrite(attribute, H5T_NATIVE_INT64, &version), 0);
  H5Aclose(attribute);
}

inline bool has_attribute(hid_t file, const char* object, const char* name) {
  return H5Aexists_by_name(file, object, name, H5P_DEFAULT) > 0;
}

inline void delete_attribute(hid_t file, const char* object, const char* name) {
  EXPECT_GE(H5Adelete_by_name(file, object, name, H5P_DEFAULT), 0);
}

// Replaces attribute `name` of `object` with a variable-length string.
inline void set_string_attribute(hid_t file, const char* object, const char* name,
                                 const char* value) {
  if (has_attribute(file, object, name)) {
    delete_attribute(file, object, name);
  }
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attribute =
      H5Acreate_by_name(file, object, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  EXPECT_GE(attribute, 0);
  EXPECT_GE(H5Awrite(attribute, type, &value), 0);
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
}
#endif

class ResultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("fb_results_test_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(counter.fetch_add(1)) + "_" + test->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  fs::path dir_;
};

}  // namespace results_test
}  // namespace fb::results
