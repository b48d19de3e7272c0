// Tests of the HDF5 results file: round trip (collective series, p2p series, link matrices),
// argument checks, reading version 1 files, error reporting, and that a writer that dies
// without closing the file leaves every appended point readable.
//
// FB_RESULTS_TEST_KEEP=<path>: the collective round-trip test also copies its file to <path>;
// FB_RESULTS_TEST_KEEP_P2P=<path>: the p2p round-trip test copies its file (collective and
// p2p series, matrices) to <path>. Both are for tests/python/check_results.py.
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
namespace {

namespace fs = std::filesystem;

RunInfo make_run(std::int64_t world_size) {
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

SeriesInfo make_info(const std::string& collective, std::int64_t iterations,
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
Point make_point(std::uint64_t size_bytes, std::size_t iterations, double busbw_factor,
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

void expect_same_point(const PointRecord& a, const PointRecord& b) {
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

void expect_same_run(const RunInfo& a, const RunInfo& b) {
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

void expect_same_info(const SeriesInfo& a, const SeriesInfo& b) {
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
std::string runtime_error_message(F&& body) {
  try {
    body();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::runtime_error thrown";
  return {};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

P2PSeriesInfo make_p2p_info(const std::string& test, std::int64_t iterations,
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

double percentile(const std::vector<double>& sorted, std::size_t per_mille) {
  return sorted[(sorted.size() * per_mille) / 1000];
}

// Half round trips whose statistics match the lat_* fields.
P2PPoint make_latency_point(std::uint64_t size_bytes, std::size_t iterations) {
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
P2PPoint make_bandwidth_point(std::uint64_t size_bytes, std::size_t iterations, std::int64_t window,
                              std::size_t pairs, bool per_pair) {
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

void expect_same_p2p_info(const P2PSeriesInfo& a, const P2PSeriesInfo& b) {
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(a.transport, b.transport);
  EXPECT_EQ(a.n_ranks, b.n_ranks);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.warmup, b.warmup);
  EXPECT_EQ(a.window, b.window);
  EXPECT_EQ(a.pairs, b.pairs);
  EXPECT_EQ(a.line_rate_Gbps, b.line_rate_Gbps);
}

void expect_same_p2p_point(const P2PPointRecord& a, const P2PPointRecord& b) {
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
P2PPointRecord stored_p2p_point(const std::string& test, const P2PPointRecord& written) {
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

void expect_p2p_series(const P2PSeriesData& got, const std::string& name, const P2PSeriesInfo& info,
                       const std::vector<P2PPoint>& points) {
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
LinkMatrix make_matrix(const std::vector<std::string>& hostnames, bool flag_slow) {
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
void expect_same_values(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i])) << "entry " << i << " is " << b[i] << ", expected NaN";
    } else {
      EXPECT_EQ(a[i], b[i]) << "entry " << i;
    }
  }
}

void expect_same_matrix(const LinkMatrix& a, const LinkMatrix& b) {
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

void set_schema_version(hid_t file, std::int64_t version) {
  const hid_t attribute = H5Aopen(file, "schema_version", H5P_DEFAULT);
  ASSERT_GE(attribute, 0);
  EXPECT_GE(H5Awrite(attribute, H5T_NATIVE_INT64, &version), 0);
  H5Aclose(attribute);
}

bool has_attribute(hid_t file, const char* object, const char* name) {
  return H5Aexists_by_name(file, object, name, H5P_DEFAULT) > 0;
}

void delete_attribute(hid_t file, const char* object, const char* name) {
  EXPECT_GE(H5Adelete_by_name(file, object, name, H5P_DEFAULT), 0);
}

// Replaces attribute `name` of `object` with a variable-length string.
void set_string_attribute(hid_t file, const char* object, const char* name, const char* value) {
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

TEST_F(ResultsTest, RoundTripTwoSeries) {
  const fs::path file = dir_ / "run.h5";
  const RunInfo run = make_run(4);
  // Written in the opposite of name order: read_file must sort them.
  const std::string second_name = "broadcast.ring.ucx.float32.none";
  const std::string first_name = "allreduce.ring.ucx.float32.sum";
  const SeriesInfo second_info = make_info("broadcast", 3, {});
  const SeriesInfo first_info =
      make_info("allreduce", 7, {{"segment_bytes", 65536}, {"inflight", 4}, {"neg", -3}});
  std::vector<Point> second_points;
  std::vector<Point> first_points;
  {
    Hdf5Writer writer(file, run);
    EXPECT_EQ(writer.path(), file);
    const std::size_t second = writer.begin_series(second_name, second_info);
    const std::size_t first = writer.begin_series(first_name, first_info);
    EXPECT_EQ(second, 0u);
    EXPECT_EQ(first, 1u);
    for (std::uint64_t size = 8; size <= 8u << 12; size <<= 3) {
      first_points.push_back(make_point(size, 7, first_info.busbw_factor, 0));
      writer.append_point(first, first_points.back().record, first_points.back().samples);
      if (size <= 512) {
        second_points.push_back(make_point(size, 3, second_info.busbw_factor, -1));
        writer.append_point(second, second_points.back().record, second_points.back().samples);
      }
    }
  }
  if (const char* keep = std::getenv("FB_RESULTS_TEST_KEEP"); keep != nullptr && *keep != '\0') {
    fs::copy_file(file, keep, fs::copy_options::overwrite_existing);
  }

  const FileData data = read_file(file);
  EXPECT_EQ(data.schema, "fabricbench");
  EXPECT_EQ(data.schema_version, kSchemaVersion);
  EXPECT_EQ(kSchemaVersion, 2);
  expect_same_run(data.run, run);
  ASSERT_EQ(data.series.size(), 2u);
  EXPECT_TRUE(data.p2p_series.empty());
  EXPECT_TRUE(data.matrices.empty());

  const auto check_series = [](const SeriesData& got, const std::string& name,
                               const SeriesInfo& info, const std::vector<Point>& points) {
    SCOPED_TRACE(name);
    EXPECT_EQ(got.name, name);
    expect_same_info(got.info, info);
    ASSERT_EQ(got.points.size(), points.size());
    ASSERT_EQ(got.samples_us.size(), points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
      expect_same_point(got.points[i], points[i].record);
      EXPECT_EQ(got.samples_us[i], points[i].samples);
    }
  };
  check_series(data.series[0], first_name, first_info, first_points);
  check_series(data.series[1], second_name, second_info, second_points);
}

TEST_F(ResultsTest, EmptyStringsAndSeriesWithoutPoints) {
  const fs::path file = dir_ / "empty.h5";
  RunInfo run = make_run(1);
  run.ucx_version = "";
  run.command_line = "";
  {
    Hdf5Writer writer(file, run);
    writer.begin_series("alltoall.pairwise.none.uint8.none", make_info("alltoall", 1, {}));
  }
  const FileData data = read_file(file);
  expect_same_run(data.run, run);
  ASSERT_EQ(data.series.size(), 1u);
  EXPECT_TRUE(data.series[0].points.empty());
  EXPECT_TRUE(data.series[0].samples_us.empty());
}

TEST_F(ResultsTest, FileWithoutSeries) {
  const fs::path file = dir_ / "none.h5";
  { Hdf5Writer writer(file, make_run(2)); }
  const FileData data = read_file(file);
  EXPECT_EQ(data.run.hostnames.size(), 2u);
  EXPECT_TRUE(data.series.empty());
}

TEST_F(ResultsTest, WrongSampleCountThrows) {
  const fs::path file = dir_ / "wrong.h5";
  {
    Hdf5Writer writer(file, make_run(2));
    const std::size_t s = writer.begin_series("s", make_info("allreduce", 5, {}));
    const Point good = make_point(64, 5, 1.5, 0);
    EXPECT_THROW(writer.append_point(s, good.record, std::vector<double>(4, 1.0)),
                 std::invalid_argument);
    EXPECT_THROW(writer.append_point(s, good.record, std::vector<double>(6, 1.0)),
                 std::invalid_argument);
    EXPECT_THROW(writer.append_point(s, good.record, {}), std::invalid_argument);
    EXPECT_THROW(writer.append_point(s + 1, good.record, good.samples), std::out_of_range);
    writer.append_point(s, good.record, good.samples);
  }
  const FileData data = read_file(file);
  ASSERT_EQ(data.series.size(), 1u);
  ASSERT_EQ(data.series[0].points.size(), 1u);
  EXPECT_EQ(data.series[0].points[0].size_bytes, 64u);
}

TEST_F(ResultsTest, InvalidSeriesArgumentsThrow) {
  Hdf5Writer writer(dir_ / "args.h5", make_run(1));
  writer.begin_series("taken", make_info("allreduce", 2, {}));
  EXPECT_THROW(writer.begin_series("taken", make_info("allreduce", 2, {})), std::invalid_argument);
  EXPECT_THROW(writer.begin_series("", make_info("allreduce", 2, {})), std::invalid_argument);
  EXPECT_THROW(writer.begin_series("a/b", make_info("allreduce", 2, {})), std::invalid_argument);
  EXPECT_THROW(writer.begin_series("zero", make_info("allreduce", 0, {})), std::invalid_argument);
  EXPECT_THROW(writer.begin_series("clash", make_info("allreduce", 2, {{"warmup", 1}})),
               std::invalid_argument);
  EXPECT_THROW(writer.begin_series("twice", make_info("allreduce", 2, {{"k", 1}, {"k", 2}})),
               std::invalid_argument);
}

TEST_F(ResultsTest, RoundTripP2PSeriesAndMatrices) {
  const fs::path file = dir_ / "p2p.h5";
  const RunInfo run = make_run(4);
  // Written out of name order: read_file sorts each kind by name.
  const std::string multipair_name = "p2p.multipair.ucx";
  const std::string latency_name = "p2p.latency.ucx";
  const std::string bandwidth_name = "p2p.bandwidth.ucx";
  const std::string collective_name = "allreduce.ring.ucx.float32.sum";
  const P2PSeriesInfo multipair_info = make_p2p_info("multipair", 5, {"0-2", "1-3"});
  const P2PSeriesInfo latency_info = make_p2p_info("latency", 1000, {"0-1"});
  const P2PSeriesInfo bandwidth_info = make_p2p_info("bandwidth", 4, {"0-1"});
  const SeriesInfo collective_info = make_info("allreduce", 3, {{"segment_bytes", 4096}});
  const LinkMatrix ucx_matrix = make_matrix(run.hostnames, true);
  LinkMatrix mpi_matrix = make_matrix(run.hostnames, false);
  mpi_matrix.transport = "mpi";
  std::vector<P2PPoint> multipair_points;
  std::vector<P2PPoint> latency_points;
  std::vector<P2PPoint> bandwidth_points;
  std::vector<Point> collective_points;
  {
    Hdf5Writer writer(file, run);
    const std::size_t multipair = writer.begin_p2p_series(multipair_name, multipair_info);
    const std::size_t collective = writer.begin_series(collective_name, collective_info);
    const std::size_t latency = writer.begin_p2p_series(latency_name, latency_info);
    const std::size_t bandwidth = writer.begin_p2p_series(bandwidth_name, bandwidth_info);
    // Collective and p2p series are numbered separately.
    EXPECT_EQ(multipair, 0u);
    EXPECT_EQ(collective, 0u);
    EXPECT_EQ(latency, 1u);
    EXPECT_EQ(bandwidth, 2u);
    writer.write_matrix("ucx", ucx_matrix);
    for (std::uint64_t size = 1; size <= 1u << 20; size <<= 5) {
      latency_points.push_back(make_latency_point(size, 1000));
      writer.append_p2p_point(latency, latency_points.back().record, latency_points.back().samples);
      bandwidth_points.push_back(make_bandwidth_point(size, 4, bandwidth_info.window, 1, false));
      // A per-pair row outside multipair is ignored.
      bandwidth_points.back().record.per_pair_GBps = {1.0, 2.0, 3.0};
      writer.append_p2p_point(bandwidth, bandwidth_points.back().record,
                              bandwidth_points.back().samples);
      multipair_points.push_back(make_bandwidth_point(size, 5, multipair_info.window, 2, true));
      writer.append_p2p_point(multipair, multipair_points.back().record,
                              multipair_points.back().samples);
      collective_points.push_back(make_point(size * 4, 3, collective_info.busbw_factor, 0));
      writer.append_point(collective, collective_points.back().record,
                          collective_points.back().samples);
    }
    writer.write_matrix("mpi", mpi_matrix);
  }
  if (const char* keep = std::getenv("FB_RESULTS_TEST_KEEP_P2P");
      keep != nullptr && *keep != '\0') {
    fs::copy_file(file, keep, fs::copy_options::overwrite_existing);
  }

  const FileData data = read_file(file);
  EXPECT_EQ(data.schema_version, kSchemaVersion);
  expect_same_run(data.run, run);
  ASSERT_EQ(data.series.size(), 1u);
  EXPECT_EQ(data.series[0].name, collective_name);
  expect_same_info(data.series[0].info, collective_info);
  ASSERT_EQ(data.series[0].points.size(), collective_points.size());
  for (std::size_t i = 0; i < collective_points.size(); ++i) {
    expect_same_point(data.series[0].points[i], collective_points[i].record);
  }
  ASSERT_EQ(data.p2p_series.size(), 3u);
  expect_p2p_series(data.p2p_series[0], bandwidth_name, bandwidth_info, bandwidth_points);
  expect_p2p_series(data.p2p_series[1], latency_name, latency_info, latency_points);
  expect_p2p_series(data.p2p_series[2], multipair_name, multipair_info, multipair_points);
  EXPECT_EQ(data.p2p_series[2].points.front().per_pair_GBps.size(), 2u);
  EXPECT_TRUE(data.p2p_series[0].points.front().per_pair_GBps.empty());

  ASSERT_EQ(data.matrices.size(), 2u);
  EXPECT_EQ(data.matrices[0].first, "mpi");
  EXPECT_EQ(data.matrices[1].first, "ucx");
  expect_same_matrix(data.matrices[0].second, mpi_matrix);
  expect_same_matrix(data.matrices[1].second, ucx_matrix);
  const LinkMatrix& m = data.matrices[1].second;
  ASSERT_EQ(m.flagged.size(), 1u);
  EXPECT_TRUE(contains(m.flagged[0], "(rank 1) <-> ")) << m.flagged[0];
  EXPECT_TRUE(data.matrices[0].second.flagged.empty());
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(std::isnan(m.latency_us[i * 4 + i]));
    EXPECT_TRUE(std::isnan(m.bandwidth_GBps[i * 4 + i]));
  }
  EXPECT_EQ(m.bandwidth_GBps[1 * 4 + 2], 3.5);
}

TEST_F(ResultsTest, P2PSeriesWithoutPoints) {
  const fs::path file = dir_ / "p2p_empty.h5";
  {
    Hdf5Writer writer(file, make_run(2));
    writer.begin_p2p_series("lat", make_p2p_info("latency", 1, {"0-1"}));
    writer.begin_p2p_series("multi", make_p2p_info("multipair", 2, {"0-1"}));
  }
  const FileData data = read_file(file);
  ASSERT_EQ(data.p2p_series.size(), 2u);
  for (const P2PSeriesData& series : data.p2p_series) {
    EXPECT_TRUE(series.points.empty());
    EXPECT_TRUE(series.samples_us.empty());
  }
}

TEST_F(ResultsTest, P2PWrongSizesThrow) {
  const fs::path file = dir_ / "p2p_wrong.h5";
  const P2PSeriesInfo info = make_p2p_info("multipair", 5, {"0-2", "1-3", "4-5"});
  const P2PPoint good = make_bandwidth_point(4096, 5, info.window, 3, true);
  {
    Hdf5Writer writer(file, make_run(6));
    const std::size_t s = writer.begin_p2p_series("multi", info);
    const std::size_t lat = writer.begin_p2p_series("lat", make_p2p_info("latency", 3, {"0-1"}));
    EXPECT_THROW(writer.append_p2p_point(s, good.record, std::vector<double>(4, 1.0)),
                 std::invalid_argument);
    EXPECT_THROW(writer.append_p2p_point(s, good.record, std::vector<double>(6, 1.0)),
                 std::invalid_argument);
    EXPECT_THROW(writer.append_p2p_point(lat, good.record, {}), std::invalid_argument);
    P2PPointRecord bad = good.record;
    bad.per_pair_GBps.pop_back();
    EXPECT_THROW(writer.append_p2p_point(s, bad, good.samples), std::invalid_argument);
    bad.per_pair_GBps.clear();
    EXPECT_THROW(writer.append_p2p_point(s, bad, good.samples), std::invalid_argument);
    bad.per_pair_GBps.assign(4, 1.0);
    EXPECT_THROW(writer.append_p2p_point(s, bad, good.samples), std::invalid_argument);
    EXPECT_THROW(writer.append_p2p_point(s + 2, good.record, good.samples), std::out_of_range);
    writer.append_p2p_point(s, good.record, good.samples);
  }
  const FileData data = read_file(file);
  ASSERT_EQ(data.p2p_series.size(), 2u);
  const P2PSeriesData& multi = data.p2p_series[1];
  EXPECT_EQ(multi.name, "multi");
  ASSERT_EQ(multi.points.size(), 1u);
  EXPECT_EQ(multi.points[0].per_pair_GBps, good.record.per_pair_GBps);
  EXPECT_TRUE(data.p2p_series[0].points.empty());
}

TEST_F(ResultsTest, InvalidP2PSeriesArgumentsThrow) {
  Hdf5Writer writer(dir_ / "p2p_args.h5", make_run(2));
  writer.begin_series("taken", make_info("allreduce", 2, {}));
  writer.begin_p2p_series("p2p_taken", make_p2p_info("latency", 2, {"0-1"}));
  const auto begin = [&writer](const std::string& name, const P2PSeriesInfo& info) {
    writer.begin_p2p_series(name, info);
  };
  const P2PSeriesInfo good = make_p2p_info("bibw", 2, {"0-1"});
  // Collective and p2p series share /series: a name is unique across both.
  EXPECT_THROW(begin("taken", good), std::invalid_argument);
  EXPECT_THROW(begin("p2p_taken", good), std::invalid_argument);
  EXPECT_THROW(writer.begin_series("p2p_taken", make_info("allreduce", 2, {})),
               std::invalid_argument);
  EXPECT_THROW(begin("", good), std::invalid_argument);
  EXPECT_THROW(begin("a/b", good), std::invalid_argument);
  P2PSeriesInfo bad = good;
  bad.iterations = 0;
  EXPECT_THROW(begin("zero", bad), std::invalid_argument);
  bad = good;
  bad.window = 0;
  EXPECT_THROW(begin("window", bad), std::invalid_argument);
  bad = good;
  bad.pairs.clear();
  EXPECT_THROW(begin("pairs", bad), std::invalid_argument);
  bad = good;
  bad.test.clear();
  EXPECT_THROW(begin("test", bad), std::invalid_argument);
  EXPECT_EQ(writer.begin_p2p_series("fine", good), 1u);
}

TEST_F(ResultsTest, MatrixWrongSizesThrow) {
  const fs::path file = dir_ / "matrix_wrong.h5";
  const RunInfo run = make_run(3);
  const LinkMatrix good = make_matrix(run.hostnames, true);
  {
    Hdf5Writer writer(file, run);
    LinkMatrix bad = good;
    bad.latency_us.pop_back();
    EXPECT_THROW(writer.write_matrix("m", bad), std::invalid_argument);
    bad = good;
    bad.bandwidth_GBps.push_back(1.0);
    EXPECT_THROW(writer.write_matrix("m", bad), std::invalid_argument);
    bad = good;
    bad.bandwidth_GBps.clear();
    EXPECT_THROW(writer.write_matrix("m", bad), std::invalid_argument);
    bad = good;
    bad.hostnames.pop_back();
    EXPECT_THROW(writer.write_matrix("m", bad), std::invalid_argument);
    bad = good;
    bad.n_ranks = 2;  // hostnames and values are for 3
    EXPECT_THROW(writer.write_matrix("m", bad), std::invalid_argument);
    bad = make_matrix({}, false);
    EXPECT_THROW(writer.write_matrix("empty", bad), std::invalid_argument);
    EXPECT_THROW(writer.write_matrix("", good), std::invalid_argument);
    EXPECT_THROW(writer.write_matrix("x/y", good), std::invalid_argument);
    writer.write_matrix("m", good);
    EXPECT_THROW(writer.write_matrix("m", good), std::invalid_argument);
  }
  const FileData data = read_file(file);
  ASSERT_EQ(data.matrices.size(), 1u);
  EXPECT_EQ(data.matrices[0].first, "m");
  expect_same_matrix(data.matrices[0].second, good);
}

TEST_F(ResultsTest, Version1FileStillReads) {
#ifdef FB_RESULTS_TEST_HAVE_HDF5
  const fs::path file = dir_ / "v1.h5";
  const RunInfo run = make_run(2);
  const SeriesInfo info = make_info("allreduce", 3, {{"segment_bytes", 1024}, {"slots", 2}});
  const Point point = make_point(256, 3, info.busbw_factor, 0);
  {
    Hdf5Writer writer(file, run);
    writer.append_point(writer.begin_series("s", info), point.record, point.samples);
  }
  {  // What a version 1 writer produced: no `kind`, schema_version 1.
    const RawFile raw(file);
    ASSERT_GE(raw.id(), 0);
    ASSERT_TRUE(has_attribute(raw.id(), "/series/s", "kind"));
    delete_attribute(raw.id(), "/series/s", "kind");
    EXPECT_FALSE(has_attribute(raw.id(), "/series/s", "kind"));
    set_schema_version(raw.id(), 1);
  }
  const FileData data = read_file(file);
  EXPECT_EQ(data.schema_version, 1);
  expect_same_run(data.run, run);
  ASSERT_EQ(data.series.size(), 1u);
  expect_same_info(data.series[0].info, info);
  ASSERT_EQ(data.series[0].points.size(), 1u);
  expect_same_point(data.series[0].points[0], point.record);
  EXPECT_EQ(data.series[0].samples_us[0], point.samples);
  EXPECT_TRUE(data.p2p_series.empty());
  EXPECT_TRUE(data.matrices.empty());
#else
  GTEST_SKIP() << "hdf5.h is not on this test's include path";
#endif
}

TEST_F(ResultsTest, UnsupportedVersionOrKindThrows) {
#ifdef FB_RESULTS_TEST_HAVE_HDF5
  const fs::path file = dir_ / "versions.h5";
  {
    Hdf5Writer writer(file, make_run(1));
    writer.begin_series("s", make_info("allreduce", 1, {}));
  }
  for (const std::int64_t version : {std::int64_t{0}, kSchemaVersion + 1}) {
    {
      const RawFile raw(file);
      ASSERT_GE(raw.id(), 0);
      set_schema_version(raw.id(), version);
    }
    const std::string message = runtime_error_message([&] { read_file(file); });
    EXPECT_TRUE(contains(message, file.string())) << message;
    EXPECT_TRUE(contains(message, "unsupported schema_version " + std::to_string(version)))
        << message;
  }
  {
    const RawFile raw(file);
    ASSERT_GE(raw.id(), 0);
    set_schema_version(raw.id(), kSchemaVersion);
    set_string_attribute(raw.id(), "/series/s", "kind", "mystery");
  }
  const std::string message = runtime_error_message([&] { read_file(file); });
  EXPECT_TRUE(contains(message, "/series/s@kind is 'mystery'")) << message;
#else
  GTEST_SKIP() << "hdf5.h is not on this test's include path";
#endif
}

TEST_F(ResultsTest, HostnameCountMustMatchWorldSize) {
  RunInfo run = make_run(3);
  run.hostnames.pop_back();
  EXPECT_THROW(Hdf5Writer(dir_ / "hosts.h5", run), std::invalid_argument);
}

TEST_F(ResultsTest, MissingFileThrowsWithPath) {
  const fs::path file = dir_ / "does_not_exist.h5";
  const std::string message = runtime_error_message([&] { read_file(file); });
  EXPECT_TRUE(contains(message, file.string())) << message;
}

TEST_F(ResultsTest, NonHdf5FileThrowsWithPath) {
  const fs::path file = dir_ / "plain.txt";
  std::ofstream(file) << "size_bytes,time_us\n8,1.5\n";
  const std::string message = runtime_error_message([&] { read_file(file); });
  EXPECT_TRUE(contains(message, file.string())) << message;
  EXPECT_TRUE(contains(message, "not an HDF5 file")) << message;
}

TEST_F(ResultsTest, DirectoryThrowsWithPath) {
  const std::string message = runtime_error_message([&] { read_file(dir_); });
  EXPECT_TRUE(contains(message, dir_.string())) << message;
}

TEST_F(ResultsTest, ForeignHdf5FileThrowsWithPath) {
#ifdef FB_RESULTS_TEST_HAVE_HDF5
  const auto make_file = [](const fs::path& path, const char* schema) {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    if (schema != nullptr) {
      const hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, H5T_VARIABLE);
      const hid_t space = H5Screate(H5S_SCALAR);
      const hid_t attr = H5Acreate2(file, "schema", type, space, H5P_DEFAULT, H5P_DEFAULT);
      EXPECT_GE(H5Awrite(attr, type, &schema), 0);
      H5Aclose(attr);
      H5Sclose(space);
      H5Tclose(type);
    }
    H5Fclose(file);
  };
  const fs::path no_schema = dir_ / "no_schema.h5";
  const fs::path other_schema = dir_ / "other_schema.h5";
  make_file(no_schema, nullptr);
  make_file(other_schema, "somethingelse");
  std::string message = runtime_error_message([&] { read_file(no_schema); });
  EXPECT_TRUE(contains(message, no_schema.string())) << message;
  EXPECT_TRUE(contains(message, "not a fabricbench")) << message;
  message = runtime_error_message([&] { read_file(other_schema); });
  EXPECT_TRUE(contains(message, other_schema.string())) << message;
  EXPECT_TRUE(contains(message, "somethingelse")) << message;
#else
  GTEST_SKIP() << "hdf5.h is not on this test's include path";
#endif
}

TEST(ResultsVersion, LibraryVersionLooksLikeAVersion) {
  const std::string version = hdf5_library_version();
  EXPECT_EQ(std::count(version.begin(), version.end(), '.'), 2) << version;
#ifdef FB_RESULTS_TEST_HAVE_HDF5
  EXPECT_EQ(version, std::to_string(H5_VERS_MAJOR) + "." + std::to_string(H5_VERS_MINOR) + "." +
                         std::to_string(H5_VERS_RELEASE));
#endif
}

// The child writes three points to a collective, a latency and a multipair series and a link
// matrix, and dies without running the writer's destructor; everything must be readable.
void expect_points_survive(const fs::path& file, bool kill_with_signal) {
  const RunInfo run = make_run(2);
  const SeriesInfo info = make_info("allreduce", 4, {{"segment_bytes", 4096}});
  const P2PSeriesInfo latency_info = make_p2p_info("latency", 6, {"0-1"});
  const P2PSeriesInfo multipair_info = make_p2p_info("multipair", 2, {"0-1", "1-0"});
  const LinkMatrix matrix = make_matrix(run.hostnames, false);
  std::vector<Point> points;
  std::vector<P2PPoint> latency_points;
  std::vector<P2PPoint> multipair_points;
  for (std::uint64_t size : {64u, 4096u, 262144u}) {
    points.push_back(make_point(size, 4, info.busbw_factor, 0));
    latency_points.push_back(make_latency_point(size, 6));
    multipair_points.push_back(make_bandwidth_point(size, 2, multipair_info.window, 2, true));
  }

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 0;
    try {
      // Deliberately leaked: the writer is never destroyed and the file never closed.
      auto* writer = std::make_unique<Hdf5Writer>(file, run).release();
      const std::size_t s = writer->begin_series("crash", info);
      const std::size_t lat = writer->begin_p2p_series("crash.latency", latency_info);
      const std::size_t multi = writer->begin_p2p_series("crash.multipair", multipair_info);
      for (std::size_t i = 0; i < points.size(); ++i) {
        writer->append_point(s, points[i].record, points[i].samples);
        writer->append_p2p_point(lat, latency_points[i].record, latency_points[i].samples);
        writer->append_p2p_point(multi, multipair_points[i].record, multipair_points[i].samples);
      }
      writer->write_matrix("links", matrix);
    } catch (...) {
      code = 3;
    }
    if (kill_with_signal && code == 0) {
      std::raise(SIGKILL);
    }
    ::_exit(code);
  }

  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  if (kill_with_signal) {
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  } else {
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }

  const FileData data = read_file(file);
  ASSERT_EQ(data.series.size(), 1u);
  const SeriesData& series = data.series[0];
  EXPECT_EQ(series.name, "crash");
  expect_same_info(series.info, info);
  ASSERT_EQ(series.points.size(), points.size());
  ASSERT_EQ(series.samples_us.size(), points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    expect_same_point(series.points[i], points[i].record);
    EXPECT_EQ(series.samples_us[i], points[i].samples);
  }
  ASSERT_EQ(data.p2p_series.size(), 2u);
  expect_p2p_series(data.p2p_series[0], "crash.latency", latency_info, latency_points);
  expect_p2p_series(data.p2p_series[1], "crash.multipair", multipair_info, multipair_points);
  ASSERT_EQ(data.matrices.size(), 1u);
  EXPECT_EQ(data.matrices[0].first, "links");
  expect_same_matrix(data.matrices[0].second, matrix);
}

TEST_F(ResultsTest, PointsSurviveExitWithoutClose) {
  expect_points_survive(dir_ / "exit.h5", false);
}

TEST_F(ResultsTest, PointsSurviveSigkill) {
  expect_points_survive(dir_ / "killed.h5", true);
}

}  // namespace
}  // namespace fb::results
