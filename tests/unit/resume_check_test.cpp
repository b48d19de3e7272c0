// --resume compatibility: every attribute that changes the numbers must match the file.
#include "harness/resume_check.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fb {
namespace {

results::SeriesInfo ring_info() {
  results::SeriesInfo info;
  info.collective = "allreduce";
  info.algorithm = "ring";
  info.transport = "ucx";
  info.dtype = "float32";
  info.op = "sum";
  info.n_ranks = 2;
  info.iterations = 20;
  info.warmup = 5;
  info.parameters = {{"segment_bytes", 262144}, {"slots", 2}, {"in_place", 0}};
  return info;
}

results::FileData file_with(const std::vector<results::SeriesInfo>& infos, int world_size = 2) {
  results::FileData file;
  file.run.world_size = world_size;
  int i = 0;
  for (const auto& info : infos) {
    results::SeriesData series;
    series.name = "series" + std::to_string(i++);
    series.info = info;
    file.series.push_back(series);
  }
  return file;
}

std::vector<SeriesHeader> headers_for(const results::FileData& file) {
  std::vector<SeriesHeader> headers;
  for (const auto& series : file.series)
    headers.push_back({series.name, series.info});
  return headers;
}

TEST(ResumeCheck, SameCommandContinues) {
  const auto file = file_with({ring_info(), ring_info()});
  EXPECT_EQ(resume_mismatch(file, 2, headers_for(file)), "");
}

TEST(ResumeCheck, OtherRankCountRefused) {
  const auto file = file_with({ring_info()});
  EXPECT_EQ(resume_mismatch(file, 4, headers_for(file)),
            "the file was measured on 2 ranks, this run has 4");
}

TEST(ResumeCheck, IterationsAndWarmupRefused) {
  const auto file = file_with({ring_info()});
  auto planned = headers_for(file);
  planned[0].info.iterations = 7;
  EXPECT_EQ(resume_mismatch(file, 2, planned),
            "series series0: iterations (-n): the file has 20, this command 7");
  planned = headers_for(file);
  planned[0].info.warmup = 1;
  EXPECT_EQ(resume_mismatch(file, 2, planned),
            "series series0: warm-up iterations (-w): the file has 5, this command 1");
}

TEST(ResumeCheck, PipelineParametersRefused) {
  const auto file = file_with({ring_info()});
  auto planned = headers_for(file);
  planned[0].info.parameters[0].second = 1024;
  EXPECT_EQ(resume_mismatch(file, 2, planned),
            "series series0: parameter segment_bytes: the file has 262144, this command 1024");
  planned = headers_for(file);
  planned[0].info.parameters.emplace_back("root", 1);
  EXPECT_EQ(resume_mismatch(file, 2, planned), "series series0: parameter root is not in the file");
  planned = headers_for(file);
  planned[0].info.parameters.pop_back();
  EXPECT_EQ(resume_mismatch(file, 2, planned),
            "series series0: parameter in_place (0 in the file) is not set by this command");
}

TEST(ResumeCheck, StringAttributesRefused) {
  const auto file = file_with({ring_info()});
  auto planned = headers_for(file);
  planned[0].info.transport = "mpi";
  EXPECT_EQ(resume_mismatch(file, 2, planned),
            "series series0: transport: the file has 'ucx', this command 'mpi'");
  planned = headers_for(file);
  planned[0].info.memory = "cuda";
  EXPECT_EQ(resume_mismatch(file, 2, planned),
            "series series0: memory: the file has 'host', this command 'cuda'");
}

TEST(ResumeCheck, DifferentSeriesSetRefused) {
  const auto file = file_with({ring_info(), ring_info()});
  auto planned = headers_for(file);
  planned.pop_back();
  EXPECT_EQ(resume_mismatch(file, 2, planned),
            "the file's series series1 is not measured by this command");
  planned = headers_for(file);
  planned[1].name = "allgather.ring.ucx.float32.none";
  EXPECT_EQ(resume_mismatch(file, 2, planned),
            "the file's series series1 is not measured by this command");
}

TEST(ResumeCheck, SeriesNotBegunBeforeTheInterruptionAreAllowed) {
  const auto file = file_with({ring_info()});
  auto planned = headers_for(file);
  planned.push_back({"allreduce.mpi.none.float32.sum", ring_info()});
  EXPECT_EQ(resume_mismatch(file, 2, planned), "");
}

TEST(ResumeCheck, SkippedThenMeasurableRefused) {
  auto skipped = ring_info();
  skipped.skipped = "no usable CUDA device";
  const auto file = file_with({skipped});
  auto planned = headers_for(file);
  planned[0].info.skipped.clear();
  EXPECT_EQ(resume_mismatch(file, 2, planned),
            "series series0: the file recorded the series as skipped (no usable CUDA device), "
            "this command measures it");
}

TEST(ResumeCheck, PointToPointFileRefused) {
  auto file = file_with({ring_info()});
  file.p2p_series.emplace_back();
  EXPECT_NE(resume_mismatch(file, 2, headers_for(file)).find("point-to-point results"),
            std::string::npos);
}

}  // namespace
}  // namespace fb
