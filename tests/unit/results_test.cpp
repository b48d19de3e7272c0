// Tests of the HDF5 results file: round trip, argument checks, error reporting, and that a
// writer that dies without closing the file leaves every appended point readable.
//
// FB_RESULTS_TEST_KEEP=<path>: the round-trip test also copies its file to <path>, for
// tests/python/check_results.py.
#include <gtest/gtest.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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
  EXPECT_EQ(data.schema_version, 1);
  expect_same_run(data.run, run);
  ASSERT_EQ(data.series.size(), 2u);

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

// The child writes three points and dies without running the writer's destructor; every
// point must be readable afterwards.
void expect_points_survive(const fs::path& file, bool kill_with_signal) {
  const SeriesInfo info = make_info("allreduce", 4, {{"segment_bytes", 4096}});
  std::vector<Point> points;
  for (std::uint64_t size : {64u, 4096u, 262144u}) {
    points.push_back(make_point(size, 4, info.busbw_factor, 0));
  }

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 0;
    try {
      // Deliberately leaked: the writer is never destroyed and the file never closed.
      auto* writer = std::make_unique<Hdf5Writer>(file, make_run(2)).release();
      const std::size_t s = writer->begin_series("crash", info);
      for (const Point& p : points) {
        writer->append_point(s, p.record, p.samples);
      }
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
}

TEST_F(ResultsTest, PointsSurviveExitWithoutClose) {
  expect_points_survive(dir_ / "exit.h5", false);
}

TEST_F(ResultsTest, PointsSurviveSigkill) {
  expect_points_survive(dir_ / "killed.h5", true);
}

}  // namespace
}  // namespace fb::results
