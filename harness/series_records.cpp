#include "harness/series_records.hpp"

#include "harness/statistics.hpp"

namespace fb {

SeriesHeader series_header(const SeriesPlan& series, const RunOptions& options, int n_ranks,
                           const std::string& suffix) {
  SeriesHeader header;
  header.name = series.name() + suffix;
  auto& info = header.info;
  info.collective = to_string(series.collective());
  info.algorithm = series.algorithm.name;
  info.transport = series.transport;
  info.dtype = to_string(series.dtype);
  info.op = is_reduction(series.collective()) ? std::string(to_string(series.op)) : "none";
  info.n_ranks = n_ranks;
  info.iterations = options.iters;
  info.warmup = options.warmup;
  info.busbw_factor = busbw_factor(series.collective(), n_ranks);
  info.description = series.algorithm.description;
  info.memory = series.on_device() ? "cuda" : "host";
  info.timing = to_string(options.timing);
  return header;
}

std::size_t point_count(const SeriesPlan& series, std::uint64_t size_bytes, int n_ranks) {
  std::size_t count = size_bytes / dtype_size(series.dtype);
  const auto n = static_cast<std::size_t>(n_ranks);
  switch (series.collective()) {
    case Collective::reducescatter:
    case Collective::allgather:
    case Collective::alltoall:
      count = count / n * n;
      break;
    default:
      break;
  }
  return count;
}

results::PointRecord timed_record(const SeriesPlan& series, std::uint64_t size_bytes,
                                  std::size_t count, const std::vector<double>& samples_us,
                                  int n_ranks) {
  results::PointRecord r;
  r.size_bytes = size_bytes;
  r.count = count;
  r.iterations = samples_us.size();
  const auto stats = summarize(samples_us);
  r.time_min_us = stats.min_us;
  r.time_median_us = stats.median_us;
  r.time_mean_us = stats.mean_us;
  r.time_p99_us = stats.p99_us;
  r.time_max_us = stats.max_us;
  const auto bw = bandwidth(static_cast<double>(size_bytes), stats.median_us,
                            busbw_factor(series.collective(), n_ranks));
  r.algbw_GBps = bw.algbw_GBps;
  r.busbw_GBps = bw.busbw_GBps;
  return r;
}

}  // namespace fb
