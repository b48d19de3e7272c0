// Output sinks: where measured points go. Rank 0 owns them; the runner feeds them in order.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "results/results.hpp"

namespace fb {

struct SeriesHeader {
  std::string name;  // e.g. allreduce.ring.ucx.float32.sum
  results::SeriesInfo info;
};

struct PointResult {
  results::PointRecord record;
  std::vector<double> samples_us;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void begin_series(const SeriesHeader& header) = 0;
  // Called before a size is measured (progress reporting), then point() with its result.
  virtual void before_point(std::uint64_t /*size_bytes*/) {}
  virtual void point(const PointResult& point) = 0;
  virtual void end_series() {}
  // Non-empty once the sink could not record (a results file on a full disk): why. A sink
  // never throws from point(); the runner polls this at every iteration's control step.
  virtual std::string failure() const { return {}; }
};

// nccl-tests-shaped table per series on a stream (stdout).
class TableSink final : public Sink {
 public:
  explicit TableSink(std::FILE* out) : out_(out) {}
  void begin_series(const SeriesHeader& header) override;
  void point(const PointResult& point) override;
  void end_series() override;

 private:
  std::FILE* out_;
  std::string type_;
};

// The HDF5 results file (results/SCHEMA.md): flushed after every point.
class Hdf5Sink final : public Sink {
 public:
  Hdf5Sink(const std::string& path, const results::RunInfo& run);
  // Adds to an existing file (--resume).
  explicit Hdf5Sink(const std::string& path) : writer_(path, results::Hdf5Writer::Append{}) {}
  void begin_series(const SeriesHeader& header) override;
  void point(const PointResult& point) override;
  void set_status(const std::string& status) { writer_.set_status(status); }

 private:
  results::Hdf5Writer writer_;
  std::size_t series_ = 0;
};

// A single self-overwriting progress line on stderr naming what is being measured; only
// used when stderr is a terminal. Must come first among the sinks, so the line is cleared
// before the table prints.
class ProgressSink final : public Sink {
 public:
  ProgressSink(std::size_t total_series, std::size_t sizes_per_series)
      : total_series_(total_series), sizes_(sizes_per_series) {}
  ~ProgressSink() override;
  ProgressSink(const ProgressSink&) = delete;
  ProgressSink& operator=(const ProgressSink&) = delete;
  void begin_series(const SeriesHeader& header) override;
  void before_point(std::uint64_t size_bytes) override;
  void point(const PointResult& point) override;

 private:
  std::size_t total_series_;
  std::size_t sizes_;
  std::size_t series_index_ = 0;
  std::size_t points_ = 0;
  std::string name_;
};

}  // namespace fb
