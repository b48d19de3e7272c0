#include "harness/sinks.hpp"

#include <cinttypes>

#include "harness/cli/size_parse.hpp"
#include "harness/number_format.hpp"

namespace fb {

void TableSink::begin_series(const SeriesHeader& h) {
  const auto& i = h.info;
  std::fprintf(out_, "#\n# %s  algorithm %s  transport %s  dtype %s  op %s  ranks %" PRId64,
               i.collective.c_str(), i.algorithm.c_str(), i.transport.c_str(), i.dtype.c_str(),
               i.op.c_str(), i.n_ranks);
  for (const auto& [name, value] : i.parameters)
    std::fprintf(out_, "  %s %" PRId64, name.c_str(), value);
  if (i.memory != "host") std::fprintf(out_, "  memory %s", i.memory.c_str());
  if (!i.skipped.empty()) {
    std::fprintf(out_, "\n#  skipped: %s\n", i.skipped.c_str());
    std::fflush(out_);
    return;
  }
  if (!i.staging.empty()) std::fprintf(out_, "\n#  staging: %s", i.staging.c_str());
  std::fprintf(out_,
               "\n#  iterations %" PRId64 "  warmup %" PRId64 "  busbw factor %.4f  timing %s\n",
               i.iterations, i.warmup, i.busbw_factor, i.timing.c_str());
  std::fprintf(out_, "# %12s %12s %8s %12s %12s %12s %12s %8s\n", "size(B)", "count", "type",
               "time(us)", "min(us)", "algbw(GB/s)", "busbw(GB/s)", "#wrong");
  type_ = i.dtype == "float32" ? "float" : i.dtype == "float64" ? "double" : i.dtype;
  std::fflush(out_);
}

void TableSink::point(const PointResult& p) {
  const auto& r = p.record;
  char wrong[32];
  if (r.wrong < 0) {
    std::snprintf(wrong, sizeof wrong, "N/A");
  } else {
    std::snprintf(wrong, sizeof wrong, "%" PRId64, r.wrong);
  }
  // Four significant digits at least: a slow link's 0.03750 GB/s must not read "0.04" or
  // "0.00", nor a sub-microsecond time "0.45".
  std::fprintf(out_, "  %12" PRIu64 " %12" PRIu64 " %8s %12s %12s %12s %12s %8s\n", r.size_bytes,
               r.count, type_.c_str(), format_figure(r.time_median_us).c_str(),
               format_figure(r.time_min_us).c_str(), format_figure(r.algbw_GBps).c_str(),
               format_figure(r.busbw_GBps).c_str(), wrong);
  std::fflush(out_);
}

void TableSink::end_series() {
  std::fflush(out_);
}

Hdf5Sink::Hdf5Sink(const std::string& path, const results::RunInfo& run, bool overwrite)
    : writer_(
          path, run,
          overwrite ? results::Hdf5Writer::Create::kReplace : results::Hdf5Writer::Create::kNew) {}

// A failed write is recorded by the writer (failure()); the sink then only stops writing.
void Hdf5Sink::begin_series(const SeriesHeader& header) {
  series_open_ = false;
  if (!writer_.failure().empty()) return;
  try {
    series_ = writer_.begin_series(header.name, header.info);
    series_open_ = true;
  } catch (const results::ResultsWriteFailed&) {
  }
}

void Hdf5Sink::point(const PointResult& point) {
  if (!series_open_ || !writer_.failure().empty()) return;
  try {
    writer_.append_point(series_, point.record, point.samples_us);
  } catch (const results::ResultsWriteFailed&) {
  }
}

std::string Hdf5Sink::failure() const {
  const std::string& why = writer_.failure();
  if (why.empty()) return {};
  return "cannot write the results file: " + why +
         " (the points recorded before are kept; --resume finishes the run once the file can be "
         "written)";
}

void Hdf5Sink::set_status(const std::string& status) noexcept {
  if (!writer_.failure().empty()) return;
  try {
    writer_.set_status(status);
  } catch (const std::exception&) {
    // Recorded as the writer's failure, which failure() reports.
  }
}

ProgressSink::~ProgressSink() {
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

void ProgressSink::begin_series(const SeriesHeader& header) {
  ++series_index_;
  points_ = 0;
  name_ = header.name;
}

void ProgressSink::before_point(std::uint64_t size_bytes) {
  std::fprintf(stderr, "\r\033[K[series %zu/%zu] %s: measuring %s (size %zu of %zu)", series_index_,
               total_series_, name_.c_str(), format_size(size_bytes).c_str(), points_ + 1, sizes_);
  std::fflush(stderr);
}

void ProgressSink::point(const PointResult& /*point*/) {
  ++points_;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace fb
