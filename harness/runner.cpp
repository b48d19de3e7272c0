#include "harness/runner.hpp"

#include <stdexcept>

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

RunSummary Runner::run(const std::vector<SeriesPlan>& plan, const std::vector<Sink*>& sinks) {
  const auto sizes = sweep_sizes(options_);
  const int n = bootstrap_.size();
  RunSummary summary;
  for (const auto& series : plan) {
    AlgorithmContext ctx{bootstrap_, nullptr, options_.algorithm};
    CollArgs args;
    args.send.bytes = send_.span();
    args.recv.bytes = recv_.span();
    args.dtype = series.dtype;
    args.op = series.op;
    if (series.algorithm->uses_transport) {
      auto& state = transport_state(series.transport);
      ctx.transport = state.transport.get();
      args.send.region = state.send_region.get();
      args.recv.region = state.recv_region.get();
    }
    const auto algorithm = series.algorithm->create(ctx);

    SeriesHeader header;
    header.name = series.name();
    auto& info = header.info;
    info.collective = to_string(series.collective);
    info.algorithm = series.algorithm->name;
    info.transport = series.transport;
    info.dtype = to_string(series.dtype);
    info.op = to_string(series.op);
    info.n_ranks = n;
    info.iterations = options_.iters;
    info.warmup = options_.warmup;
    info.busbw_factor = busbw_factor(series.collective, n);
    info.parameters = algorithm->parameters();
    for (auto* sink : sinks)
      sink->begin_series(header);

    const std::size_t esize = dtype_size(series.dtype);
    fill_input(send_.span(), options_.max_bytes / esize, series.dtype, bootstrap_.rank());
    for (const auto size : sizes) {
      for (auto* sink : sinks)
        sink->before_point(size);
      args.count = size / esize;
      auto point = measure(*algorithm, series, args, args.count * esize);
      summary.wrong += point.record.wrong > 0 ? point.record.wrong : 0;
      ++summary.points;
      for (auto* sink : sinks)
        sink->point(point);
    }
    for (auto* sink : sinks)
      sink->end_series();
    ++summary.series;
  }
  return summary;
}

PointResult Runner::measure(Algorithm& algorithm, const SeriesPlan& series, const CollArgs& args,
                            std::uint64_t size_bytes) {
  watchdog_.set_activity(series.name() + " at " + std::to_string(size_bytes) + " bytes");
  for (std::int64_t i = 0; i < options_.warmup; ++i) {
    watchdog_.kick();
    algorithm.run(args);
  }
  std::vector<double> samples(static_cast<std::size_t>(options_.iters));
  for (auto& sample : samples) {
    watchdog_.kick();
    bootstrap_.barrier();
    const auto t0 = Clock::now();
    algorithm.run(args);
    const auto t1 = Clock::now();
    sample = std::chrono::duration<double, std::micro>(t1 - t0).count();
  }
  watchdog_.kick();
  bootstrap_.allreduce_max(samples);

  PointResult point;
  auto& r = point.record;
  r.size_bytes = size_bytes;
  r.count = args.count;
  r.iterations = samples.size();
  const auto stats = summarize(samples);
  r.time_min_us = stats.min_us;
  r.time_median_us = stats.median_us;
  r.time_mean_us = stats.mean_us;
  r.time_p99_us = stats.p99_us;
  r.time_max_us = stats.max_us;
  const auto bw = bandwidth(static_cast<double>(size_bytes), stats.median_us,
                            busbw_factor(series.collective, bootstrap_.size()));
  r.algbw_GBps = bw.algbw_GBps;
  r.busbw_GBps = bw.busbw_GBps;

  if (options_.check) {
    poison_output(recv_.span(), args.count, args.dtype);
    watchdog_.kick();
    algorithm.run(args);
    std::vector<std::int64_t> wrong{
        count_allreduce_mismatches(recv_.span(), args.count, args.dtype, bootstrap_.size())};
    bootstrap_.allreduce_sum(wrong);
    r.wrong = wrong[0];
  }
  watchdog_.pause();
  point.samples_us = std::move(samples);
  return point;
}

}  // namespace fb
