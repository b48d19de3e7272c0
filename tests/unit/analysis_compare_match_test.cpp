// compare (analysis/compare.hpp) on synthetic results: how series and points are matched,
// what refuses or warns, provenance differences and the JSON document.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis/compare.hpp"
#include "tests/unit/analysis_compare_fixture.hpp"

namespace fb::analysis {
namespace {

TEST(CompareMatch, SeriesMatchByIdentityNotByName) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.series[0].name = "renamed";
  const auto c = compare_files(a, b, {});
  ASSERT_EQ(c.series.size(), 1u);
  EXPECT_EQ(c.series[0].name_a, "allreduce.ring.ucx.float32.sum");
  EXPECT_EQ(c.series[0].name_b, "renamed");
  const std::vector<Field> expected{
      {"collective", "allreduce"}, {"algorithm", "ring"}, {"transport", "ucx"},
      {"dtype", "float32"},        {"op", "sum"},         {"ranks", "2"},
      {"in_place", "no"},          {"memory", "host"},    {"nodes", "all"}};
  EXPECT_EQ(c.series[0].identity, expected);
}

TEST(CompareMatch, EveryIdentityFieldSeparatesSeries) {
  const std::vector<std::function<void(SeriesData&)>> changes{
      [](SeriesData& s) { s.info.algorithm = "tree"; },
      [](SeriesData& s) { s.info.transport = "mpi"; },
      [](SeriesData& s) { s.info.dtype = "float64"; },
      [](SeriesData& s) { s.info.op = "max"; },
      [](SeriesData& s) { s.info.collective = "reduce_scatter"; },
      [](SeriesData& s) { s.info.n_ranks = 4; },
      [](SeriesData& s) { s.info.memory = "cuda"; },
      [](SeriesData& s) {
        s.info.parameters.back() = {"in_place", 1};
      },
      [](SeriesData& s) {
        s.info.parameters.emplace_back("nodes", 2);
        s.info.parameters.emplace_back("ranks_per_node", 1);
      }};
  for (std::size_t i = 0; i < changes.size(); ++i) {
    auto [a, b] = scaled_pair({kMiB}, 1.0);
    changes[i](b.series[0]);
    b.series[0].name = "changed";
    const auto c = compare_files(a, b, {});
    EXPECT_TRUE(c.series.empty()) << "change " << i;
    EXPECT_EQ(c.series_only_in_a, std::vector<std::string>{"allreduce.ring.ucx.float32.sum"});
    EXPECT_EQ(c.series_only_in_b, std::vector<std::string>{"changed"});
  }
}

TEST(CompareMatch, OlderFilesIdentifyBySeriesName) {
  // In-place, root and node subset recorded only in the name match the attributes.
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  a.series[0].info.parameters = {{"segment_bytes", 1 << 20},
                                 {"slots", 2},
                                 {"in_place", 1},
                                 {"nodes", 2},
                                 {"ranks_per_node", 1}};
  b.series[0].info.parameters = {{"segment_bytes", 1 << 20}, {"slots", 2}};
  b.series[0].name = "allreduce.ring.ucx.float32.sum.inplace.nodes2x1";
  auto c = compare_files(a, b, {});
  EXPECT_EQ(c.series.size(), 1u);
  EXPECT_FALSE(c.refused());

  b.series[0].name = "allreduce.ring.ucx.float32.sum.nodes2x1";  // not in place
  c = compare_files(a, b, {});
  EXPECT_TRUE(c.series.empty());

  for (auto* f : {&a, &b}) {
    f->series[0].info.collective = "broadcast";
    f->series[0].info.parameters = {{"segment_bytes", 1 << 20}};
  }
  a.series[0].info.parameters.emplace_back("root", 1);
  b.series[0].name = "broadcast.ring.ucx.float32.none.root1";
  c = compare_files(a, b, {});
  ASSERT_EQ(c.series.size(), 1u);
  b.series[0].name = "broadcast.ring.ucx.float32.none.root0";
  EXPECT_TRUE(compare_files(a, b, {}).series.empty());
}

TEST(CompareMatch, PointsMatchBySizeAndTheRestIsReported) {
  FileData a = file();
  FileData b = file();
  a.series.push_back(series({kKiB, kMiB, 2 * kMiB}, {spread(1), spread(10), spread(20)}));
  b.series.push_back(series({kMiB, 2 * kMiB, 8 * kMiB}, {spread(10), spread(20), spread(80)}));
  auto extra = series({kMiB}, {spread(5)}, "allgather.ring.ucx.float32.none");
  extra.info.collective = "allgather";
  extra.info.op = "none";
  b.series.push_back(extra);
  const auto c = compare_files(a, b, {});
  ASSERT_EQ(c.series.size(), 1u);
  const auto& s = c.series[0];
  ASSERT_EQ(s.points.size(), 2u);
  EXPECT_EQ(s.points[0].size_bytes, kMiB);
  EXPECT_EQ(s.points[1].size_bytes, 2 * kMiB);
  EXPECT_EQ(s.sizes_only_in_a, std::vector<std::uint64_t>{kKiB});
  EXPECT_EQ(s.sizes_only_in_b, std::vector<std::uint64_t>{8 * kMiB});
  EXPECT_TRUE(c.series_only_in_a.empty());
  EXPECT_EQ(c.series_only_in_b, std::vector<std::string>{"allgather.ring.ucx.float32.none"});
}

TEST(CompareMatch, ContinuationSeriesArePooledIntoTheSeriesTheyContinue) {
  // A qualify file re-measured one size of a series into `<name>.more1`: its samples join
  // that point, and the continuation is neither matched nor listed on its own.
  FileData a = file();
  a.series.push_back(series({kKiB, kMiB}, {spread(1), spread(10)}));
  auto more = series({kMiB}, {spread(10, 20)}, "allreduce.ring.ucx.float32.sum.more1");
  more.info.continues = "allreduce.ring.ucx.float32.sum";
  a.series.push_back(more);
  const auto c = compare_files(a, a, {});
  ASSERT_EQ(c.series.size(), 1u);
  EXPECT_TRUE(c.series_only_in_a.empty());
  EXPECT_TRUE(c.series_only_in_b.empty());
  const auto& points = c.series[0].points;
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].samples_a, 30u);
  EXPECT_EQ(points[1].samples_a, 50u);
  EXPECT_EQ(points[1].samples_b, 50u);
  EXPECT_EQ(points[1].verdict, Verdict::kNoDifference);
}

TEST(CompareMatch, PointToPointByTestTransportPairsAndWindow) {
  const auto p2p = [](const std::string& test, std::int64_t window,
                      std::vector<std::string> pairs) {
    P2PSeriesData s;
    s.name = test;
    s.name += ".ucx";
    s.info.test = test;
    s.info.transport = "ucx";
    s.info.n_ranks = 2;
    s.info.iterations = 30;
    s.info.window = window;
    s.info.pairs = std::move(pairs);
    s.points.push_back({});
    s.points.back().size_bytes = kMiB;
    s.samples_us.push_back(spread(100));
    return s;
  };
  FileData a = file();
  FileData b = file();
  a.p2p_series = {p2p("bandwidth", 64, {"0-1"}), p2p("latency", 1, {"0-1"})};
  b.p2p_series = {p2p("bandwidth", 32, {"0-1"}), p2p("latency", 1, {"0-1"})};
  b.p2p_series[1].info.iterations = 40;
  b.p2p_series[1].samples_us[0] = scaled(spread(100, 40), 0.8);
  auto c = compare_files(a, b, {});
  ASSERT_EQ(c.series.size(), 1u);
  EXPECT_EQ(c.series[0].kind, "p2p");
  EXPECT_EQ(c.series[0].name_a, "latency.ucx");
  EXPECT_EQ(only_point(c).verdict, Verdict::kFaster);
  EXPECT_EQ(c.series_only_in_a, std::vector<std::string>{"bandwidth.ucx"});
  EXPECT_EQ(c.series_only_in_b, std::vector<std::string>{"bandwidth.ucx"});
  ASSERT_EQ(c.differences.size(), 1u);
  EXPECT_EQ(c.differences[0].message(),
            "latency.ucx: iterations differ (A 30, B 40): more samples narrow the intervals; "
            "the medians compare");
  EXPECT_FALSE(c.refused());

  b.p2p_series[1].info.pairs = {"1-0"};
  EXPECT_TRUE(compare_files(a, b, {}).series.empty());
}

// ---- refusals and warnings ----------------------------------------------------------------

const Difference* find_difference(const Comparison& c, const std::string& what) {
  for (const auto& d : c.differences)
    if (d.what == what) return &d;
  return nullptr;
}

TEST(CompareRefuse, TimingMethodRefuses) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.series[0].info.timing = "window";
  const auto c = compare_files(a, b, {});
  EXPECT_TRUE(c.refused());
  const auto* d = find_difference(c, "timing");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Difference::Severity::kRefuse);
  EXPECT_EQ(d->message(),
            "allreduce.ring.ucx.float32.sum: timing differs (A iteration, B window): the samples "
            "measure different things");
  // The comparison is still computed, for --force.
  EXPECT_EQ(c.compared_points(), 1u);
}

TEST(CompareRefuse, PipelineParametersRefuse) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.series[0].info.parameters[0].second = 1 << 19;
  const auto c = compare_files(a, b, {});
  EXPECT_TRUE(c.refused());
  const auto* d = find_difference(c, "pipeline parameters");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->a, "segment_bytes=1048576 slots=2");
  EXPECT_EQ(d->b, "segment_bytes=524288 slots=2");
}

TEST(CompareRefuse, HostCountRefusesWorldSizeWarns) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.run.hostnames = {"h0", "h0"};
  auto c = compare_files(a, b, {});
  EXPECT_TRUE(c.refused());
  ASSERT_NE(find_difference(c, "host count"), nullptr);
  EXPECT_EQ(find_difference(c, "host count")->message(),
            "host count differs (A 2, B 1): ranks share hosts differently, so different traffic "
            "crosses the network");

  auto [a2, b2] = scaled_pair({kMiB}, 1.0);
  b2.run.world_size = 4;
  b2.run.hostnames = {"h0", "h1", "h0", "h1"};
  c = compare_files(a2, b2, {});
  EXPECT_FALSE(c.refused());
  ASSERT_NE(find_difference(c, "world size"), nullptr);
  EXPECT_EQ(find_difference(c, "world size")->severity, Difference::Severity::kWarn);
}

TEST(CompareRefuse, CountsSchemaStatusAndBackToBackOnlyWarn) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.series[0].info.iterations = 50;
  b.series[0].info.warmup = 5;
  b.schema_version = 1;
  b.run.status = "interrupted by SIGTERM";
  auto c = compare_files(a, b, {});
  EXPECT_FALSE(c.refused());
  for (const char* what : {"iterations", "warmup", "schema_version", "status"}) {
    const auto* d = find_difference(c, what);
    ASSERT_NE(d, nullptr) << what;
    EXPECT_EQ(d->severity, Difference::Severity::kWarn) << what;
  }
  EXPECT_EQ(find_difference(c, "status")->message(),
            "status differs (A complete, B interrupted by SIGTERM): an incomplete run lacks the "
            "points it did not reach");

  auto [a2, b2] = scaled_pair({kMiB}, 1.0);
  a2.series[0].info.timing = b2.series[0].info.timing = "back-to-back";
  c = compare_files(a2, b2, {});
  EXPECT_FALSE(c.refused());
  ASSERT_NE(find_difference(c, "timing"), nullptr);
  EXPECT_EQ(find_difference(c, "timing")
                ->message()
                .rfind("allreduce.ring.ucx.float32.sum: timing is back-to-back in both: ", 0),
            0u);
}

TEST(CompareRefuse, WrongResultsWarn) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  b.series[0].points[0].wrong = 12;
  const auto c = compare_files(a, b, {});
  const auto* d = find_difference(c, "correctness at 1048576 bytes");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->a, "-");
  EXPECT_EQ(d->b, "12 wrong elements");
}

TEST(CompareRefuse, BadOptionsThrow) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  CompareOptions o;
  o.alpha = 0.5;
  EXPECT_THROW(compare_files(a, b, o), std::invalid_argument);
  o = {};
  o.fail_if_slower_pct = 100;
  EXPECT_THROW(compare_files(a, b, o), std::invalid_argument);
  o = {};
  o.equivalence_pct = 0;
  EXPECT_THROW(compare_files(a, b, o), std::invalid_argument);
}

// ---- provenance ---------------------------------------------------------------------------

TEST(CompareProvenance, VersionsEnvironmentAndHostsButNotLauncherBookkeeping) {
  auto [a, b] = scaled_pair({kMiB}, 1.0);
  a.run.environment = {"OMPI_COMM_WORLD_RANK=0", "OMPI_MCA_btl_tcp_if_include=eth0",
                       "OMPI_MCA_orte_hnp_uri=1.0;tcp://10.0.0.1:1", "SLURM_JOB_ID=1",
                       "UCX_TLS=tcp,self"};
  b.run.environment = {"OMPI_COMM_WORLD_RANK=0", "OMPI_MCA_btl_tcp_if_include=eth1",
                       "OMPI_MCA_orte_hnp_uri=2.0;tcp://10.0.0.1:2", "SLURM_JOB_ID=2",
                       "UCX_RNDV_THRESH=8192"};
  b.run.ucx_version = "1.16.0";
  b.run.hostnames = {"n7", "n8"};
  b.run.slurm_job_id = "2";
  const auto c = compare_files(a, b, {});
  std::vector<std::string> fields;
  for (const auto& p : c.provenance)
    fields.push_back(p.field + ": " + p.a + " | " + p.b);
  const std::vector<std::string> expected{
      "ucx_version: 1.13.1 | 1.16.0",        "hosts: h0,h1 | n7,n8",
      "slurm_job_id: (unset) | 2",           "env OMPI_MCA_btl_tcp_if_include: eth0 | eth1",
      "env UCX_RNDV_THRESH: (unset) | 8192", "env UCX_TLS: tcp,self | (unset)"};
  EXPECT_EQ(fields, expected);
  EXPECT_FALSE(c.refused());
}

// ---- JSON ---------------------------------------------------------------------------------

TEST(CompareJson, DocumentCarriesEveryPointAndSummary) {
  auto [a, b] = scaled_pair({kMiB}, 0.8);
  a.series.push_back(series({kMiB}, {spread(1, 4)}, "allreduce.ring.mpi.float32.sum"));
  a.series.back().info.transport = "mpi";
  b.series.push_back(series({kMiB}, {spread(1, 4)}, "allreduce.ring.mpi.float32.sum"));
  b.series.back().info.transport = "mpi";
  b.run.ucx_version = "1.16.0";
  CompareOptions o;
  o.fail_if_slower_pct = 5;
  const auto c = compare_files(a, b, o);
  const auto doc = to_json(c, a, "a.h5", b, "b.h5");
  EXPECT_EQ(doc["schema"], "fabricbench-verdicts");
  EXPECT_EQ(doc["command"], "compare");
  EXPECT_EQ(doc["a"]["path"], "a.h5");
  EXPECT_EQ(doc["b"]["hosts"], nlohmann::json::array({"h0", "h1"}));
  EXPECT_EQ(doc["settings"]["ratio_method"], "hodges-lehmann");
  EXPECT_EQ(doc["settings"]["fail_if_slower_pct"], 5.0);
  EXPECT_TRUE(doc["settings"]["equivalence_pct"].is_null());
  EXPECT_EQ(doc["refused"], false);
  EXPECT_EQ(doc["provenance"][0]["field"], "ucx_version");
  ASSERT_EQ(doc["series"].size(), 2u);
  // Series in A's order: ucx, then mpi with 4 samples: no median interval at 95 %.
  EXPECT_EQ(doc["series"][1]["name_a"], "allreduce.ring.mpi.float32.sum");
  const auto& mpi = doc["series"][1]["points"][0];
  EXPECT_TRUE(mpi["median_a_us"]["lower"].is_null());
  EXPECT_EQ(mpi["verdict"], "no difference");
  const auto& ucx = doc["series"][0];
  EXPECT_EQ(ucx["identity"]["transport"], "ucx");
  const auto& p = ucx["points"][0];
  EXPECT_EQ(p["size_bytes"], kMiB);
  EXPECT_EQ(p["verdict"], "faster");
  EXPECT_NEAR(p["gain_pct"]["estimate"].get<double>(), 25.0, 1e-9);
  EXPECT_NEAR(p["time_ratio"]["estimate"].get<double>(), 0.8, 1e-12);
  EXPECT_EQ(p["text"].get<std::string>().rfind("B faster by 25.0% [", 0), 0u);
  EXPECT_EQ(p["slower_than_allowed"], false);
  EXPECT_EQ(ucx["summary"]["sizes_bytes"], nlohmann::json::array({kMiB}));
  EXPECT_EQ(ucx["summary"]["verdict"], "faster");
  EXPECT_EQ(doc["compared_points"], 2);
  EXPECT_EQ(doc["slower_than_allowed"], false);
}

}  // namespace
}  // namespace fb::analysis
