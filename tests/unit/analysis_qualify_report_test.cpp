// The judgement of a whole (synthetic) results file, its outputs, and the verdicts and
// per-entry matrix samples kept in HDF5.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "analysis/qualify.hpp"
#include "analysis/qualify_output.hpp"
#include "analysis/qualify_profile.hpp"
#include "results/results.hpp"

namespace fb::analysis {
namespace {

// Bandwidth window times (us) for `GBps` with `bytes` x `window` per window, +-1 % spread.
std::vector<double> window_times(double GBps, std::uint64_t bytes, int window, int n) {
  std::vector<double> t;
  for (int i = 0; i < n; ++i) {
    const double rate = GBps * (1 + 0.01 * ((i % 5) - 2) / 2.0);
    t.push_back(static_cast<double>(bytes) * window / rate / 1e3);
  }
  return t;
}

results::P2PSeriesData bandwidth_series(const std::string& name, const std::string& continues,
                                        double GBps, int iterations) {
  results::P2PSeriesData s;
  s.name = name;
  s.info.test = "bandwidth";
  s.info.transport = "ucx";
  s.info.n_ranks = 4;
  s.info.iterations = iterations;
  s.info.window = 16;
  s.info.pairs = {"0-1"};
  s.info.continues = continues;
  for (const std::uint64_t size : {256U << 10, 1U << 20}) {
    results::P2PPointRecord p;
    p.size_bytes = size;
    p.iterations = static_cast<std::uint64_t>(iterations);
    s.points.push_back(p);
    s.samples_us.push_back(window_times(GBps, size, 16, iterations));
  }
  return s;
}

// 4 ranks on h0..h3 at 0.118 GB/s (~94 % of 1 Gb/s), `slow` rank's row and column at half.
results::LinkMatrix matrix(int slow, int iterations) {
  results::LinkMatrix m;
  m.transport = "ucx";
  m.n_ranks = 4;
  m.hostnames = {"h0", "h1", "h2", "h3"};
  m.latency_bytes = 8;
  m.bandwidth_bytes = 256 << 10;
  m.iterations = iterations;
  m.window = 16;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  m.latency_us.assign(16, nan);
  m.bandwidth_GBps.assign(16, nan);
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = 0; j < 4; ++j) {
      const std::size_t k = i * 4 + j;
      if (i == j) {
        m.latency_samples_us.emplace_back(static_cast<std::size_t>(iterations), nan);
        m.bandwidth_samples_us.emplace_back(static_cast<std::size_t>(iterations), nan);
        continue;
      }
      const double rate =
          (static_cast<int>(i) == slow || static_cast<int>(j) == slow) ? 0.059 : 0.118;
      m.bandwidth_GBps[k] = rate;
      m.latency_us[k] = 50;
      m.latency_samples_us.emplace_back(static_cast<std::size_t>(iterations), 50.0);
      m.bandwidth_samples_us.push_back(window_times(rate, m.bandwidth_bytes, 16, iterations));
    }
  }
  return m;
}

results::FileData file_with(int slow_rank) {
  results::FileData f;
  f.run.hostnames = {"h0", "h1", "h2", "h3"};
  f.p2p_series.push_back(bandwidth_series("bandwidth.ucx", "", 0.118, 20));
  f.matrices.emplace_back("links.ucx", matrix(slow_rank, 12));
  return f;
}

TEST(QualifyReport, HealthyFabricPasses) {
  const auto report = evaluate(generic_profile(1.0), file_with(-1), "ucx");
  // 2 sizes of p2p bandwidth + 12 links.
  ASSERT_EQ(report.checks.size(), 14U);
  EXPECT_EQ(report.overall, Verdict::pass);
  for (const auto& c : report.checks)
    EXPECT_EQ(c.judgement.verdict, Verdict::pass) << c.name;
  ASSERT_EQ(report.matrices.size(), 1U);
  EXPECT_TRUE(report.matrices[0].findings.empty());
  const auto& bw = report.checks[0];
  EXPECT_EQ(bw.name, "p2p-bandwidth ucx 256 KiB");
  EXPECT_EQ(bw.concerns, "h0 (rank 0) -> h1 (rank 1)");
  EXPECT_EQ(bw.unit, "GB/s");
  EXPECT_DOUBLE_EQ(bw.fail_threshold, 0.1);     // 0.80 x 1 Gb/s / 8
  EXPECT_DOUBLE_EQ(bw.warn_threshold, 0.1125);  // 0.90 x 1 Gb/s / 8
  ASSERT_TRUE(bw.judgement.interval);
  EXPECT_NEAR(bw.judgement.interval->estimate, 0.118, 0.001);
}

TEST(QualifyReport, SlowHostFailsAndIsNamedAlone) {
  const auto report = evaluate(generic_profile(1.0), file_with(2), "ucx");
  EXPECT_EQ(report.overall, Verdict::fail);
  int failed = 0;
  for (const auto& c : report.checks) {
    if (c.judgement.verdict != Verdict::fail) continue;
    ++failed;
    EXPECT_TRUE(c.from_rank == 2 || c.to_rank == 2) << c.name;
    EXPECT_NE(c.concerns.find("h2 (rank 2)"), std::string::npos);
  }
  EXPECT_EQ(failed, 6);  // h2's row and column
  ASSERT_EQ(report.matrices[0].findings.size(), 1U);
  EXPECT_EQ(report.matrices[0].findings[0].host, "h2");
  EXPECT_EQ(report.matrices[0].findings[0].kind, LinkFinding::Kind::host_both);
  const auto table = format_verdict_table(report);
  EXPECT_NE(table.find("# SLOW HOST (links.ucx): h2 (rank 2) sends and receives slowly"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("# 14 checks: 8 PASS, 0 WARN, 0 INCONCLUSIVE, 6 FAIL: FAIL"),
            std::string::npos)
      << table;
}

TEST(QualifyReport, ContinuationsArePooled) {
  auto f = file_with(-1);
  f.p2p_series[0] = bandwidth_series("bandwidth.ucx", "", 0.118, 5);  // too few alone
  auto first = evaluate(generic_profile(1.0), f, "ucx");
  EXPECT_EQ(first.checks[0].judgement.verdict, Verdict::inconclusive);
  EXPECT_EQ(first.checks[0].judgement.note,
            "5 samples are too few for a 95% interval of the median");
  EXPECT_EQ(first.checks[0].budget_left, 60);
  f.p2p_series.push_back(bandwidth_series("bandwidth.ucx.more1", "bandwidth.ucx", 0.118, 10));
  const auto pooled = evaluate(generic_profile(1.0), f, "ucx");
  EXPECT_EQ(pooled.checks[0].judgement.samples, 15U);
  EXPECT_EQ(pooled.checks[0].judgement.verdict, Verdict::pass);
  EXPECT_EQ(pooled.checks[0].budget_left, 50);
  // The continuation is not judged on its own.
  EXPECT_EQ(pooled.checks.size(), 14U);
}

TEST(QualifyReport, NothingMeasuredIsInconclusive) {
  results::FileData empty;
  const auto report = evaluate(generic_profile(1.0), empty, "ucx");
  ASSERT_EQ(report.checks.size(), 2U);
  EXPECT_EQ(report.overall, Verdict::inconclusive);
  EXPECT_EQ(report.checks[0].judgement.note,
            "no p2p bandwidth series over ucx with a size in [256 KiB, 1 MiB] in the file");
  EXPECT_EQ(report.checks[1].judgement.note, "no link matrix over ucx at 256 KiB in the file");
}

TEST(QualifyReport, CollectiveBusBandwidth) {
  const char* text = R"(profile: c
link: {line_rate: 1 Gb/s, nics_per_node: 1}
rules:
  - name: busbw
    test: collective
    collective: allreduce
    sizes: [1M, 1M]
    unit: GB/s
    warn: 0.11
    fail: 0.10
)";
  results::FileData f;
  results::SeriesData s;
  s.name = "allreduce.ring.ucx.float32.sum";
  s.info.collective = "allreduce";
  s.info.algorithm = "ring";
  s.info.transport = "ucx";
  s.info.dtype = "float32";
  s.info.iterations = 10;
  s.info.busbw_factor = 1.5;  // 2 (n - 1) / n for 4 ranks
  results::PointRecord p;
  p.size_bytes = 1 << 20;
  s.points.push_back(p);
  // 1.5 x 1 MiB / 13107.2 us = 0.12 GB/s.
  s.samples_us.emplace_back(10, 13107.2);
  f.series.push_back(s);
  const auto report = evaluate(parse_profile(text, "c.yaml"), f);
  ASSERT_EQ(report.checks.size(), 1U);
  ASSERT_TRUE(report.checks[0].judgement.interval);
  EXPECT_NEAR(report.checks[0].judgement.interval->estimate, 0.12, 1e-9);
  EXPECT_EQ(report.checks[0].judgement.verdict, Verdict::pass);
}

TEST(QualifyReport, JsonAndJunit) {
  const auto report = evaluate(generic_profile(1.0), file_with(2), "ucx");
  const auto j = verdicts_json(report, "x.h5");
  EXPECT_EQ(j["schema"], "fabricbench-verdicts");
  EXPECT_EQ(j["command"], "qualify");
  EXPECT_EQ(j["overall"], "FAIL");
  EXPECT_EQ(j["counts"]["FAIL"], 6);
  EXPECT_EQ(j["profile"]["name"], "generic");
  EXPECT_DOUBLE_EQ(j["profile"]["link"]["line_rate_Gbps"].get<double>(), 1.0);
  ASSERT_EQ(j["checks"].size(), 14U);
  const auto& c = j["checks"][0];
  EXPECT_EQ(c["verdict"], "PASS");
  EXPECT_EQ(c["unit"], "GB/s");
  EXPECT_EQ(c["samples"], 20);
  EXPECT_TRUE(c["value"].contains("lower"));
  EXPECT_DOUBLE_EQ(c["thresholds"]["fail"].get<double>(), 0.1);
  ASSERT_EQ(j["findings"].size(), 1U);
  EXPECT_EQ(j["findings"][0]["host"], "h2");
  EXPECT_EQ(j["findings"][0]["rank"], 2);
  EXPECT_EQ(j["findings"][0]["kind"], "host");

  const auto xml = verdicts_junit(report);
  EXPECT_NE(xml.find("tests=\"14\" failures=\"6\" skipped=\"0\""), std::string::npos);
  EXPECT_NE(xml.find("<testcase classname=\"qualify.link-bandwidth\" name=\"link-bandwidth ucx "
                     "h0 (rank 0) -&gt; h2 (rank 2)\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<property name=\"samples\" value=\"12\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<failure message=\"median "), std::string::npos);

  results::FileData few;
  few.run.hostnames = {"a", "b"};
  few.p2p_series.push_back(bandwidth_series("bandwidth.ucx", "", 0.118, 4));
  const auto xml2 = verdicts_junit(evaluate(generic_profile(1.0), few, "ucx"));
  EXPECT_NE(xml2.find("<skipped message=\"INCONCLUSIVE: 4 samples are too few for a 95% interval "
                      "of the median\"/>"),
            std::string::npos)
      << xml2;
}

TEST(QualifyReport, SampleConversions) {
  results::P2PSeriesInfo bw;
  bw.test = "bandwidth";
  bw.window = 4;
  bw.pairs = {"0-1"};
  // 1000 bytes x 4 messages in 2 us = 2 GB/s; a zero or NaN time is left out.
  const auto v = p2p_values(bw, 1000, {2.0, 0.0, std::nan(""), 4.0});
  ASSERT_EQ(v.size(), 2U);
  EXPECT_DOUBLE_EQ(v[0], 2.0);
  EXPECT_DOUBLE_EQ(v[1], 1.0);
  bw.test = "bibw";
  EXPECT_DOUBLE_EQ(p2p_values(bw, 1000, {2.0})[0], 4.0);  // both directions summed
  bw.test = "latency";
  EXPECT_EQ(p2p_values(bw, 8, {1.5, 2.5}), (std::vector<double>{1.5, 2.5}));
  results::SeriesInfo c;
  c.busbw_factor = 2;
  EXPECT_DOUBLE_EQ(collective_values(c, 1000, {4.0})[0], 0.5);
  EXPECT_EQ(format_bytes(8), "8 B");
  EXPECT_EQ(format_bytes(256 << 10), "256 KiB");
  EXPECT_EQ(format_bytes(3 << 20), "3 MiB");
  EXPECT_EQ(format_bytes(1000), "1000 B");
}

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("fb_qualify_test_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(QualifyReport, VerdictsAndMatrixSamplesInHdf5) {
  TempDir dir;
  const auto file = dir.path() / "q.h5";
  const auto source = file_with(2);
  results::RunInfo run;
  run.tool_version = "test";
  run.world_size = 4;
  run.hostnames = source.run.hostnames;
  {
    results::Hdf5Writer writer(file, run);
    const auto& s = source.p2p_series[0];
    const auto index = writer.begin_p2p_series(s.name, s.info);
    for (std::size_t i = 0; i < s.points.size(); ++i)
      writer.append_p2p_point(index, s.points[i], s.samples_us[i]);
    auto more = bandwidth_series("bandwidth.ucx.more1", "bandwidth.ucx", 0.118, 6);
    const auto index2 = writer.begin_p2p_series(more.name, more.info);
    writer.append_p2p_point(index2, more.points[0], more.samples_us[0]);
    writer.write_matrix("links.ucx", source.matrices[0].second);
    writer.set_status("complete");
  }
  auto data = results::read_file(file);
  ASSERT_EQ(data.matrices.size(), 1U);
  const auto& m = data.matrices[0].second;
  EXPECT_EQ(m.iterations, 12);
  EXPECT_EQ(m.window, 16);
  ASSERT_EQ(m.bandwidth_samples_us.size(), 16U);
  EXPECT_EQ(m.bandwidth_samples_us[1], source.matrices[0].second.bandwidth_samples_us[1]);
  EXPECT_TRUE(std::isnan(m.bandwidth_samples_us[0][0]));
  ASSERT_EQ(data.p2p_series.size(), 2U);
  EXPECT_EQ(data.p2p_series[1].info.continues, "bandwidth.ucx");
  EXPECT_TRUE(data.verdicts.empty());

  const auto report = evaluate(generic_profile(1.0), data, "ucx");
  EXPECT_EQ(report.checks[0].judgement.samples, 26U);  // 20 pooled with 6
  const auto set = verdict_set(report, "2026-11-30T20:00:00Z", "fabricbench qualify ...");
  results::record_verdicts(file, "qualify.generic", set);
  const auto after = results::read_file(file);
  EXPECT_EQ(after.run.status, "complete");  // nothing else changed
  ASSERT_EQ(after.verdicts.size(), 1U);
  EXPECT_EQ(after.verdicts[0].first, "qualify.generic");
  const auto& v = after.verdicts[0].second;
  EXPECT_EQ(v.overall, "FAIL");
  EXPECT_EQ(v.profile, "generic");
  ASSERT_EQ(v.checks.size(), 14U);
  EXPECT_EQ(v.checks[0].check, "p2p-bandwidth ucx 256 KiB");
  EXPECT_EQ(v.checks[0].verdict, "PASS");
  EXPECT_EQ(v.checks[0].samples, 26U);
  EXPECT_DOUBLE_EQ(v.checks[0].fail_threshold, 0.1);
  EXPECT_EQ(v.findings.size(), 1U);
  // Recording again replaces the set.
  results::record_verdicts(file, "qualify.generic", set);
  EXPECT_EQ(results::read_file(file).verdicts.size(), 1U);
}

}  // namespace
}  // namespace fb::analysis
