#include "harness/runner.hpp"

#include <stdexcept>

#include "harness/call_setup.hpp"
#include "harness/signals.hpp"
#include "harness/statistics.hpp"
#include "harness/validation.hpp"
#include "transports/registry.hpp"

namespace fb {

Runner::Runner(const RunOptions& options, Bootstrap& bootstrap, Watchdog& watchdog)
    : options_(options),
      bootstrap_(bootstrap),
      watchdog_(watchdog),
      send_(options.max_bytes),
      recv_(options.max_bytes) {}

Runner::~Runner() = default;

Runner::TransportState& Runner::transport_state(const std::string& name) {
  auto it = transports_.find(name);
  if (it != transports_.end()) return it->second;
  const auto* entry = find_transport(name);
  if (entry == nullptr) throw std::invalid_argument("unknown transport '" + name + "'");
  watchdog_.set_activity("setting up the " + name + " transport");
  watchdog_.kick();
  TransportState state;
  state.transport = entry->create(bootstrap_);
  state.send_region = state.transport->register_memory(send_.span());
  state.recv_region = state.transport->register_memory(recv_.span());
  watchdog_.pause();
  return transports_.emplace(name, std::move(state)).first->second;
}

// The element count of a point: the size in whole elements, and for the block collectives
// a whole number of blocks, so size_bytes is exactly what moves.
std::size_t Runner::point_count(const SeriesPlan& series, std::uint64_t size_bytes) const {
  std::size_t count = size_bytes / dtype_size(series.dtype);
  const auto n = static_cast<std::size_t>(bootstrap_.size());
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

RunSummary Runner::run(const std::vector<SeriesPlan>& plan, const std::vector<Sink*>& sinks,
                       const std::set<std::pair<std::string, std::uint64_t>>& done) {
  const auto sizes = sweep_sizes(options_);
  const int n = bootstrap_.size();
  RunSummary summary;
  for (const auto& series : plan) {
    AlgorithmContext ctx{bootstrap_, nullptr, options_.algorithm};
    Buffer send_store{send_.span(), nullptr};
    Buffer recv_store{recv_.span(), nullptr};
    if (series.algorithm.uses_transport) {
      auto& state = transport_state(series.transport);
      ctx.transport = state.transport.get();
      send_store.region = state.send_region.get();
      recv_store.region = state.recv_region.get();
    }
    const auto algorithm = series.algorithm.create(ctx);

    SeriesHeader header;
    header.name = series.name() + series_suffix_;
    auto& info = header.info;
    info.collective = to_string(series.collective());
    info.algorithm = series.algorithm.name;
    info.transport = series.transport;
    info.dtype = to_string(series.dtype);
    info.op = is_reduction(series.collective()) ? std::string(to_string(series.op)) : "none";
    info.n_ranks = n;
    info.iterations = options_.iters;
    info.warmup = options_.warmup;
    info.busbw_factor = busbw_factor(series.collective(), n);
    info.description = series.algorithm.description;
    info.parameters = algorithm->parameters();
    info.parameters.emplace_back("in_place", series.in_place ? 1 : 0);
    if (is_rooted(series.collective())) info.parameters.emplace_back("root", series.root);
    info.parameters.insert(info.parameters.end(), series_parameters_.begin(),
                           series_parameters_.end());
    for (auto* sink : sinks)
      sink->begin_series(header);

    std::uint64_t previous_count = ~0ULL;
    for (const auto size : sizes) {
      const std::size_t count = point_count(series, size);
      // Skip sizes below one element per block, and sizes that round to the same call.
      if (count == 0 || count == previous_count) continue;
      if (done.count({header.name, count * dtype_size(series.dtype)}) != 0) {
        ++summary.skipped;
        continue;  // measured by the run being resumed
      }
      // A stop signal on any rank ends the run here, at a point boundary, on every rank.
      if ((summary.stop_signal = agreed_stop_signal(bootstrap_)) != 0) break;
      previous_count = count;
      const auto layout =
          layout_call(series.collective(), series.in_place, count, series.dtype, series.op,
                      series.root, bootstrap_.rank(), n, send_store, recv_store);
      const std::uint64_t size_bytes = count * dtype_size(series.dtype);
      for (auto* sink : sinks)
        sink->before_point(size_bytes);
      auto point = measure(*algorithm, series, layout, size_bytes);
      summary.wrong += point.record.wrong > 0 ? point.record.wrong : 0;
      ++summary.points;
      for (auto* sink : sinks)
        sink->point(point);
    }
    for (auto* sink : sinks)
      sink->end_series();
    ++summary.series;
    if (summary.stop_signal != 0) break;
  }
  return summary;
}

PointResult Runner::measure(Algorithm& algorithm, const SeriesPlan& series,
                            const CallLayout& layout, std::uint64_t size_bytes) {
  const int n = bootstrap_.size();
  const CheckSpec spec{series.collective(), series.dtype,     series.op, bootstrap_.rank(), n,
                       series.root,         layout.args.count};
  watchdog_.set_activity(series.name() + " at " + std::to_string(size_bytes) + " bytes");
  fill_send(spec, layout.input);
  for (std::int64_t i = 0; i < options_.warmup; ++i) {
    watchdog_.kick();
    algorithm.run(layout.args);
  }
  std::vector<double> samples(static_cast<std::size_t>(options_.iters));
  for (auto& sample : samples) {
    watchdog_.kick();
    bootstrap_.barrier();
    const auto t0 = Clock::now();
    algorithm.run(layout.args);
    const auto t1 = Clock::now();
    sample = std::chrono::duration<double, std::micro>(t1 - t0).count();
  }
  watchdog_.kick();
  bootstrap_.allreduce_max(samples);

  PointResult point;
  auto& r = point.record;
  r.size_bytes = size_bytes;
  r.count = layout.args.count;
  r.iterations = samples.size();
  const auto stats = summarize(samples);
  r.time_min_us = stats.min_us;
  r.time_median_us = stats.median_us;
  r.time_mean_us = stats.mean_us;
  r.time_p99_us = stats.p99_us;
  r.time_max_us = stats.max_us;
  const auto bw = bandwidth(static_cast<double>(size_bytes), stats.median_us,
                            busbw_factor(series.collective(), n));
  r.algbw_GBps = bw.algbw_GBps;
  r.busbw_GBps = bw.busbw_GBps;

  if (options_.check) {
    // One more call on fresh input and poisoned output, outside the timed loop.
    fill_send(spec, layout.input);
    if (!series.in_place) poison(layout.output, layout.output_count, series.dtype);
    bootstrap_.barrier();
    watchdog_.kick();
    algorithm.run(layout.args);
    if (bootstrap_.rank() == options_.debug_corrupt_rank && layout.output_count > 0) {
      layout.output[0] ^= std::byte{0x01};  // --debug-corrupt: prove the check catches it
    }
    std::vector<std::int64_t> wrong{count_mismatches(spec, layout.output)};
    bootstrap_.allreduce_sum(wrong);
    r.wrong = wrong[0];
  }
  watchdog_.pause();
  point.samples_us = std::move(samples);
  return point;
}

}  // namespace fb
