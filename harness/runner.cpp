#include "harness/runner.hpp"

#include <cstdio>
#include <stdexcept>

#include "gpu/cuda_env.hpp"
#include "gpu/device.hpp"
#include "gpu/nccl_comm.hpp"
#include "harness/call_setup.hpp"
#include "harness/peer_probe.hpp"
#include "harness/signals.hpp"
#include "harness/size_parse.hpp"
#include "harness/statistics.hpp"
#include "harness/timing.hpp"
#include "harness/validation.hpp"
#include "transports/error.hpp"
#include "transports/registry.hpp"

namespace fb {

Runner::Runner(const RunOptions& options, Bootstrap& bootstrap, Watchdog& watchdog)
    : options_(options), bootstrap_(bootstrap), watchdog_(watchdog) {}

struct Runner::DeviceState {
  int device = 0;
  gpu::DeviceBuffer send;
  gpu::DeviceBuffer recv;
  std::optional<gpu::HostRegistration> pin_send;
  std::optional<gpu::HostRegistration> pin_recv;
  std::optional<gpu::Stream> stream;
  std::unique_ptr<gpu::NcclComm> nccl;  // last, so destroyed first: it may use the stream
};

Runner::~Runner() = default;

std::string Runner::cuda_unavailable_reason() {
  const auto here = gpu::cuda_availability();
  std::vector<std::int64_t> missing{here.available ? 0 : 1};
  bootstrap_.allreduce_sum(missing);
  if (missing[0] == 0) return "";
  // Rank 0, which prints and records it, gives its own reason if it has one.
  return here.available ? std::to_string(missing[0]) + " of " + std::to_string(bootstrap_.size()) +
                              " ranks have no usable CUDA device"
                        : here.reason;
}

Runner::DeviceState& Runner::device_state() {
  if (device_) return *device_;
  watchdog_.set_activity("setting up CUDA device buffers");
  watchdog_.kick();
  // Ranks on one host take the devices in turn: local rank modulo the device count.
  const auto hosts = bootstrap_.allgather_strings(local_host_name());
  int local_rank = 0;
  for (int r = 0; r < bootstrap_.rank(); ++r) {
    if (hosts[static_cast<std::size_t>(r)] == hosts[static_cast<std::size_t>(bootstrap_.rank())])
      ++local_rank;
  }
  auto state = std::make_unique<DeviceState>();
  state->device = gpu::device_for_local_rank(local_rank);
  gpu::set_device(state->device);
  state->send = gpu::DeviceBuffer(options_.max_bytes);
  state->recv = gpu::DeviceBuffer(options_.max_bytes);
  state->stream.emplace();
  watchdog_.pause();
  device_ = std::move(state);
  return *device_;
}

gpu::NcclComm& Runner::nccl() {
  auto& dev = device_state();
  if (!dev.nccl) {
    watchdog_.set_activity("creating the NCCL communicator");
    watchdog_.kick();
    dev.nccl = std::make_unique<gpu::NcclComm>(bootstrap_, dev.device, options_.algorithm.timeout);
    watchdog_.pause();
  }
  return *dev.nccl;
}

Runner::TransportState* Runner::transport_state(const std::string& name) {
  if (auto it = transports_.find(name); it != transports_.end()) return &it->second;
  if (unavailable_.count(name) != 0) return nullptr;
  const auto* entry = find_transport(name);
  if (entry == nullptr) throw std::invalid_argument("unknown transport '" + name + "'");
  watchdog_.set_activity("setting up the " + name + " transport");
  watchdog_.kick();
  TransportState state;
  try {
    state.transport = entry->create(bootstrap_);
  } catch (const TransportUnavailable& e) {
    // Every rank got here with the same verdict (the transport agrees before throwing).
    watchdog_.pause();
    unavailable_.emplace(name, e.what());
    if (bootstrap_.rank() == 0) {
      std::fprintf(stderr,
                   "fabricbench: the %s transport cannot start here; its series are recorded as "
                   "skipped: %s\n",
                   name.c_str(), e.what());
    }
    return nullptr;
  }
  watchdog_.pause();
  return &transports_.emplace(name, std::move(state)).first->second;
}

// What every series records about itself, measured or skipped.
SeriesHeader Runner::series_header(const SeriesPlan& series) const {
  const int n = bootstrap_.size();
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
  info.memory = series.on_device() ? "cuda" : "host";
  info.timing = to_string(options_.timing);
  return header;
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

const std::vector<SeriesHeader>& Runner::prepare(const std::vector<SeriesPlan>& plan) {
  bool any_device = false;
  for (const auto& series : plan)
    any_device = any_device || series.on_device();
  const std::string no_cuda = any_device ? cuda_unavailable_reason() : std::string();
  if (!no_cuda.empty() && bootstrap_.rank() == 0) {
    std::fprintf(stderr,
                 "fabricbench: cuda memory and nccl series skipped (recorded as skipped in the "
                 "file): %s\n",
                 no_cuda.c_str());
  }
  prepared_.clear();
  headers_.clear();
  for (const auto& series : plan) {
    Prepared p{series, series_header(series), nullptr, nullptr};
    auto& info = p.header.info;
    auto skip = [&](const std::string& why) {
      info.skipped = why;
      info.parameters = series_parameters_;
    };
    if (series.on_device() && !no_cuda.empty()) {
      skip(no_cuda);
    } else if (series.algorithm.uses_transport &&
               (p.transport = transport_state(series.transport)) == nullptr) {
      skip(unavailable_.at(series.transport));
    } else {
      AlgorithmContext ctx{bootstrap_, nullptr, options_.algorithm};
      // The device state exists before allocate(), which pins the host stores for staging.
      if (series.on_device()) device_state();
      if (series.on_device() && series.algorithm.device_only) {
        ctx.nccl = &nccl();
        ctx.stream = device_state().stream->handle();
      }
      if (p.transport != nullptr) ctx.transport = p.transport->transport.get();
      p.algorithm = series.algorithm.create(ctx);
      if (series.on_device()) {
        if (series.algorithm.device_only) {
          info.staging = "none: device buffers passed to the library";
        } else {
          info.staging =
              "pinned host: device-to-host copy, host algorithm, host-to-device copy, all inside "
              "the timed call (our algorithms compute on the CPU)";
          if (ctx.transport != nullptr) {
            info.staging += ctx.transport->capabilities().device_memory
                                ? "; the transport accepts device memory, unused here"
                                : "; the transport does not accept device memory";
          }
        }
      }
      info.parameters = p.algorithm->parameters();
      if (const auto origin = p.algorithm->parameters_origin(); !origin.empty())
        info.description += "; pipeline parameters: " + origin;
      info.parameters.emplace_back("in_place", series.in_place ? 1 : 0);
      if (is_rooted(series.collective())) info.parameters.emplace_back("root", series.root);
      info.parameters.insert(info.parameters.end(), series_parameters_.begin(),
                             series_parameters_.end());
    }
    headers_.push_back(p.header);
    prepared_.push_back(std::move(p));
  }
  return headers_;
}

std::string Runner::allocate() {
  std::string failure;
  const char* what = "";
  try {
    what = "send buffer";
    send_ = AlignedBuffer(options_.max_bytes);
    what = "receive buffer";
    recv_ = AlignedBuffer(options_.max_bytes);
    for (auto& [name, state] : transports_) {
      what = "transport registration";
      state.send_region = state.transport->register_memory(send_.span());
      state.recv_region = state.transport->register_memory(recv_.span());
    }
    if (device_) {
      // The host stores double as the staging buffers: pin them so the copies are DMA.
      what = "pinned staging buffers";
      device_->pin_send.emplace(send_.span().data(), send_.span().size());
      device_->pin_recv.emplace(recv_.span().data(), recv_.span().size());
    }
  } catch (const std::bad_alloc&) {
    failure = std::string("cannot allocate the ") + what + " (" + format_size(options_.max_bytes) +
              ", " + std::to_string(options_.max_bytes) + " bytes) on rank " +
              std::to_string(bootstrap_.rank()) + " (" + local_host_name() + ")";
  }
  return failure;
}

bool Runner::stop_requested() {
  watchdog_.kick();
  return control_->step().stop();
}

RunSummary Runner::run(const std::vector<Sink*>& sinks,
                       const std::set<std::pair<std::string, std::uint64_t>>& done) {
  const auto sizes = sweep_sizes(options_);
  const int n = bootstrap_.size();
  RunSummary summary;
  control_ = std::make_unique<RunControl>(bootstrap_, [sinks] {
    for (const auto* sink : sinks) {
      if (auto why = sink->failure(); !why.empty()) return why;
    }
    return std::string();
  });
  for (auto& p : prepared_) {
    const auto& series = p.plan;
    if (!p.algorithm) {
      for (auto* sink : sinks) {
        sink->begin_series(p.header);
        sink->end_series();
      }
      ++summary.skipped_series;
      continue;
    }
    Buffer send_store{send_.span(), nullptr};
    Buffer recv_store{recv_.span(), nullptr};
    Buffer device_send{{}, nullptr};
    Buffer device_recv{{}, nullptr};
    if (series.on_device()) {
      auto& dev = device_state();
      device_send.bytes = {static_cast<std::byte*>(dev.send.data()), dev.send.size()};
      device_recv.bytes = {static_cast<std::byte*>(dev.recv.data()), dev.recv.size()};
    }
    if (p.transport != nullptr) {
      send_store.region = p.transport->send_region.get();
      recv_store.region = p.transport->recv_region.get();
    }
    for (auto* sink : sinks)
      sink->begin_series(p.header);

    std::uint64_t previous_count = ~0ULL;
    for (const auto size : sizes) {
      const std::size_t count = point_count(series, size);
      // Skip sizes below one element per block, and sizes that round to the same call.
      if (count == 0 || count == previous_count) continue;
      if (done.count({p.header.name, count * dtype_size(series.dtype)}) != 0) {
        ++summary.skipped;
        continue;  // measured by the run being resumed
      }
      previous_count = count;
      const auto layout =
          layout_call(series.collective(), series.in_place, count, series.dtype, series.op,
                      series.root, bootstrap_.rank(), n, send_store, recv_store);
      std::optional<CallLayout> device_layout;
      if (series.on_device()) {
        device_layout =
            layout_call(series.collective(), series.in_place, count, series.dtype, series.op,
                        series.root, bootstrap_.rank(), n, device_send, device_recv);
      }
      const std::uint64_t size_bytes = count * dtype_size(series.dtype);
      for (auto* sink : sinks)
        sink->before_point(size_bytes);
      auto point = measure(*p.algorithm, series, layout, device_layout ? &*device_layout : nullptr,
                           size_bytes);
      if (!point) break;  // told to stop: the unfinished point is not recorded
      summary.wrong += point->record.wrong > 0 ? point->record.wrong : 0;
      ++summary.points;
      for (auto* sink : sinks)
        sink->point(*point);
    }
    for (auto* sink : sinks)
      sink->end_series();
    ++summary.series;
    if (control_->verdict().stop()) break;
  }
  // A last control step: a signal or a failed write after the last point still counts.
  if (!control_->verdict().stop()) control_->step();
  summary.stop_signal = control_->verdict().signal;
  summary.results_failed = control_->verdict().results_failed;
  return summary;
}

// Rank 0 says when a point's windows often opened before a rank was ready: its samples then
// include that rank's lateness, and a longer warm-up (-w) sizes the windows better.
void Runner::note_timing(const TimedPoint& timed, std::uint64_t size_bytes) const {
  if (bootstrap_.rank() != 0 ||
      timed.late_windows * 10 <= static_cast<std::int64_t>(timed.samples_us.size())) {
    return;
  }
  std::fprintf(stderr,
               "fabricbench: note: --timing window at %llu bytes: %lld of %zu windows started "
               "late (window %.1f us, clock sync error %.2f us)\n",
               static_cast<unsigned long long>(size_bytes),
               static_cast<long long>(timed.late_windows), timed.samples_us.size(), timed.window_us,
               timed.clock_error_us);
}

std::optional<PointResult> Runner::measure(Algorithm& algorithm, const SeriesPlan& series,
                                           const CallLayout& layout, const CallLayout* device,
                                           std::uint64_t size_bytes) {
  const int n = bootstrap_.size();
  const CheckSpec spec{series.collective(), series.dtype,     series.op, bootstrap_.rank(), n,
                       series.root,         layout.args.count};
  watchdog_.set_activity(series.name() + series_suffix_ + " at " + std::to_string(size_bytes) +
                         " bytes");
  // One call. Device series: NCCL takes the device layout; our algorithms run on the host
  // stores between a device-to-host copy of the input and a host-to-device copy of the
  // result (the staging is part of the call and of its time).
  auto call = [&] {
    if (device == nullptr) {
      algorithm.run(layout.args);
    } else if (series.algorithm.device_only) {
      algorithm.run(device->args);
    } else {
      gpu::memcpy_d2h(layout.args.send.bytes.data(), device->args.send.bytes.data(),
                      layout.args.send.bytes.size());
      algorithm.run(layout.args);
      gpu::memcpy_h2d(device->args.recv.bytes.data(), layout.args.recv.bytes.data(),
                      layout.args.recv.bytes.size());
    }
  };
  // Input made on the host and, for device series, copied to the device.
  auto fill_inputs = [&](bool poison_output) {
    fill_send(spec, layout.input);
    if (poison_output) poison(layout.output, layout.output_count, series.dtype);
    if (device == nullptr) return;
    if (poison_output) {
      gpu::memcpy_h2d(device->output.data(), layout.output.data(), layout.output.size());
    }
    gpu::memcpy_h2d(device->input.data(), layout.input.data(), layout.input.size());
  };
  fill_inputs(false);
  // Warm-up: untimed for the results, but its calls and control steps are timed for the
  // methods that size their batches or windows from it.
  WarmupTimes warmup;
  for (std::int64_t i = 0; i < options_.warmup; ++i) {
    const auto t0 = Clock::now();
    if (stop_requested()) return std::nullopt;
    const auto t1 = Clock::now();
    call();
    const auto t2 = Clock::now();
    warmup.step_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    warmup.call_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  const TimedCall timed{call, [&] { return algorithm.device_time_us(); },
                        [&] { return stop_requested(); }};
  auto timed_point = run_timed(options_.timing, bootstrap_, timed, options_.iters, warmup);
  if (!timed_point) return std::nullopt;
  watchdog_.kick();
  auto& samples = timed_point->samples_us;
  note_timing(*timed_point, size_bytes);

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
    fill_inputs(!series.in_place);
    if (stop_requested()) return std::nullopt;
    call();
    if (device != nullptr) {
      gpu::memcpy_d2h(layout.output.data(), device->output.data(), layout.output.size());
    }
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
