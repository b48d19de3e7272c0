#include "harness/runner.hpp"

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "harness/call_setup.hpp"
#include "harness/cli/size_parse.hpp"
#include "harness/faults/peer_probe.hpp"
#include "harness/series_records.hpp"
#include "harness/signals.hpp"
#include "harness/timing.hpp"
#include "harness/validation.hpp"
#include "transports/error.hpp"
#include "transports/registry.hpp"

namespace fb {

Runner::Runner(const RunOptions& options, Bootstrap& bootstrap, Watchdog& watchdog)
    : options_(options),
      bootstrap_(bootstrap),
      watchdog_(watchdog),
      transports_(bootstrap, watchdog),
      device_(bootstrap, watchdog, options.max_bytes, options.algorithm.timeout) {}

Runner::~Runner() = default;

const std::vector<SeriesHeader>& Runner::prepare(const std::vector<SeriesPlan>& plan) {
  bool any_device = false;
  for (const auto& series : plan)
    any_device = any_device || series.on_device();
  const std::string no_cuda =
      any_device ? DeviceStaging::unavailable_reason(bootstrap_) : std::string();
  if (!no_cuda.empty() && bootstrap_.rank() == 0) {
    std::fprintf(stderr,
                 "fabricbench: cuda memory and nccl series skipped (recorded as skipped in the "
                 "file): %s\n",
                 no_cuda.c_str());
  }
  prepared_.clear();
  headers_.clear();
  for (const auto& series : plan) {
    Prepared p{series, series_header(series, options_, bootstrap_.size(), series_suffix_), nullptr,
               nullptr};
    auto& info = p.header.info;
    auto skip = [&](const std::string& why) {
      info.skipped = why;
      info.parameters = series_parameters_;
    };
    if (series.on_device() && !no_cuda.empty()) {
      skip(no_cuda);
    } else if (series.algorithm.uses_transport &&
               (p.transport = transports_.get(series.transport)) == nullptr) {
      skip(transports_.unavailable_reason(series.transport));
    } else {
      AlgorithmContext ctx{bootstrap_, nullptr, options_.algorithm, layout_};
      // The device state exists before allocate(), which pins the host stores for staging.
      if (series.on_device()) device_.set_up();
      if (series.on_device() && series.algorithm.device_only) {
        ctx.nccl = &device_.nccl();
        ctx.stream = device_.stream();
      }
      if (p.transport != nullptr) ctx.transport = p.transport->transport.get();
      // Our algorithms on cuda buffers: on the device buffers themselves (--staging none, or
      // auto with a transport that can move device memory), else staged through the host.
      std::string refusal;
      if (series.on_device() && ctx.transport != nullptr) {
        ctx.transport->set_dmabuf_exporter(DeviceStaging::dmabuf_exporter());
        // Device memory between the GPUs of one host goes over CUDA IPC, the rest over the
        // transport (harness/device_staging.hpp).
        p.device_transport = options_.staging == RunOptions::Staging::host
                                 ? ctx.transport
                                 : &device_.device_path(series.transport, *ctx.transport);
        refusal = DeviceStaging::resident_refusal(*p.device_transport);
        p.resident = options_.staging == RunOptions::Staging::none ||
                     (options_.staging == RunOptions::Staging::automatic && refusal.empty());
        // The device stores registered now, so that a transport that cannot after all (no
        // GPUDirect RDMA on this host) says so here instead of in the middle of the run.
        if (p.resident && refusal.empty()) {
          try {
            device_regions(series.transport, *p.device_transport);
          } catch (const TransportError& e) {
            refusal = e.what();
          }
        }
        // Every rank takes the same path: one rank that cannot makes them all stage (auto)
        // or skip (none), with its reason where it has one.
        std::vector<std::int64_t> refusing{refusal.empty() ? 0 : 1};
        bootstrap_.allreduce_sum(refusing);
        if (refusing[0] > 0 && refusal.empty()) {
          refusal = std::to_string(refusing[0]) + " of " + std::to_string(bootstrap_.size()) +
                    " ranks cannot move device memory over " + series.transport;
        }
        if (!refusal.empty()) p.resident = options_.staging == RunOptions::Staging::none;
      }
      if (p.resident && !refusal.empty()) {
        p.resident = false;
        skip("--staging none: " + refusal);
        headers_.push_back(p.header);
        prepared_.push_back(std::move(p));
        continue;
      }
      if (p.resident) ctx.transport = p.device_transport;
      p.algorithm = series.algorithm.create(ctx);
      if (series.on_device()) {
        info.description += "; " + device_.gpus();
        info.staging = p.resident
                           ? DeviceStaging::describe_resident(*p.device_transport)
                           : DeviceStaging::describe(series.algorithm.device_only, ctx.transport);
        if (!p.resident && !refusal.empty() && !series.algorithm.device_only)
          info.staging += "; not on the device buffers: " + refusal;
      }
      info.parameters = p.algorithm->parameters();
      if (!layout_description_.empty() && series.algorithm.uses_transport)
        info.description += "; " + layout_description_;
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
    what = "transport registration";
    transports_.register_stores(send_.span(), recv_.span());
    if (device_.is_set_up()) {
      // The host stores double as the staging buffers: pin them so the copies are DMA.
      what = "pinned staging buffers";
      device_.pin(send_.span(), recv_.span());
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
      device_send = device_.send_store();
      device_recv = device_.recv_store();
      if (p.resident)
        std::tie(device_send.region, device_recv.region) =
            device_regions(series.transport, *p.device_transport);
    }
    if (p.transport != nullptr) {
      send_store.region = p.transport->send_region.get();
      recv_store.region = p.transport->recv_region.get();
    }
    for (auto* sink : sinks)
      sink->begin_series(p.header);

    std::uint64_t previous_count = ~0ULL;
    for (const auto size : sizes) {
      const std::size_t count = point_count(series, size, n);
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
                           p.resident, size_bytes);
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

std::pair<const MemoryRegion*, const MemoryRegion*> Runner::device_regions(
    const std::string& transport, Transport& moving) {
  auto& regions = device_regions_[transport];
  if (!regions.first) {
    regions.first = moving.register_device_memory(device_.send_store().bytes);
    regions.second = moving.register_device_memory(device_.recv_store().bytes);
  }
  return {regions.first.get(), regions.second.get()};
}

std::optional<PointResult> Runner::measure(Algorithm& algorithm, const SeriesPlan& series,
                                           const CallLayout& layout, const CallLayout* device,
                                           bool resident, std::uint64_t size_bytes) {
  const int n = bootstrap_.size();
  const CheckSpec spec{series.collective(), series.dtype,     series.op, bootstrap_.rank(), n,
                       series.root,         layout.args.count};
  watchdog_.set_activity(series.name() + series_suffix_ + " at " + std::to_string(size_bytes) +
                         " bytes");
  // One call. Device series: NCCL takes the device layout; our algorithms run on it too
  // (resident: timed by CUDA events around the call), or on the host stores between a
  // device-to-host copy of the input and a host-to-device copy of the result (the staging
  // is part of the call and of its time).
  std::optional<double> resident_us;
  auto call = [&] {
    if (device == nullptr) {
      algorithm.run(layout.args);
    } else if (resident) {
      resident_us = device_.run_resident(algorithm, *device);
    } else if (series.algorithm.device_only) {
      algorithm.run(device->args);
    } else {
      DeviceStaging::run_staged(algorithm, layout, *device);
    }
  };
  // Input made on the host and, for device series, copied to the device.
  auto fill_inputs = [&](bool poison_output) {
    fill_send(spec, layout.input);
    if (poison_output) poison(layout.output, layout.output_count, series.dtype);
    if (device != nullptr) DeviceStaging::upload(layout, *device, poison_output);
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
  const TimedCall timed{call, [&] { return resident ? resident_us : algorithm.device_time_us(); },
                        [&] { return stop_requested(); }};
  auto timed_point = run_timed(options_.timing, bootstrap_, timed, options_.iters, warmup);
  if (!timed_point) return std::nullopt;
  watchdog_.kick();
  auto& samples = timed_point->samples_us;
  note_timing(*timed_point, size_bytes);

  PointResult point;
  auto& r = point.record;
  r = timed_record(series, size_bytes, layout.args.count, samples, n);

  if (options_.check) {
    // One more call on fresh input and poisoned output, outside the timed loop.
    fill_inputs(!series.in_place);
    if (stop_requested()) return std::nullopt;
    call();
    if (device != nullptr) DeviceStaging::download_output(layout, *device);
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
