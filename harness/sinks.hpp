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
  // Why this sink can no longer record points (for example: its results file could not be
  // written), as one sentence for an error line; empty while it works. A sink that fails
  // does not throw from point(): the runner polls this and ends the run on every rank.
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

// The HDF5 results file (results/SCHEMA.md): flushed after every point. The constructors
// throw what results::Hdf5Writer's do (a refused or unwritable file); once the file cannot be
// written (a full disk), the sink records nothing more and failure() says why.
class Hdf5Sink final : public Sink {
 public:
  // A new file; with `overwrite`, an existing fabricbench results file is replaced.
  Hdf5Sink(const std::string& path, const results::RunInfo& run, bool overwrite = false);
  // Adds to an existing file (--resume).
  Hdf5Sink(const std::string& path, const std::string& command_line)
      : writer_(path, results::Hdf5Writer::Append{command_line}) {}
  void begin_series(const SeriesHeader& header) override;
  void point(const PointResult& point) override;
  std::string failure() const override;
  // Records the run's status; does nothing once the file could not be written. Never throws.
  void set_status(const std::string& status) noexcept;

 private:
  results::Hdf5Writer writer_;
  std::size_t series_ = 0;
  bool series_open_ = false;
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
