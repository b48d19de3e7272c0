// Tests of the HDF5 results file: round trip (collective series, p2p series, link matrices),
// argument checks, reading version 1 files, error reporting, and that a writer that dies
// without closing the file leaves every appended point readable.
//
// FB_RESULTS_TEST_KEEP=<path>: the collective round-trip test also copies its file to <path>;
// FB_RESULTS_TEST_KEEP_P2P=<path>: the p2p round-trip test copies its file (collective and
// p2p series, matrices) to <path>. Both are for tests/python/check_results.py.
#include "tests/unit/results_test_support.hpp"

namespace fb::results {
namespace {
using namespace results_test;  // NOLINT(google-build-using-namespace): the tests' own helpers

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
