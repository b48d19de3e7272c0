// HDF5 results file: p2p series and link matrices (schema version 2): round trips and
// argument checks.
#include "tests/unit/results_test_support.hpp"

namespace fb::results {
namespace {
using namespace results_test;  // NOLINT(google-build-using-namespace): the tests' own helpers

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

}  // namespace
}  // namespace fb::results
