#include "harness/device_staging.hpp"

#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "gpu/cuda_env.hpp"
#include "gpu/cuda_ipc.hpp"
#include "gpu/device_steps.hpp"
#include "harness/faults/peer_probe.hpp"
#include "harness/rank_layout.hpp"
#include "transports/error.hpp"
#include "transports/host_locality.hpp"
#include "transports/ipc_transport.hpp"

namespace fb {

struct DeviceStaging::State {
  int device = 0;
  std::string gpus;  // every rank's device and why, for the series' descriptions
  gpu::DeviceBuffer send;
  gpu::DeviceBuffer recv;
  std::optional<gpu::HostRegistration> pin_send;
  std::optional<gpu::HostRegistration> pin_recv;
  std::optional<gpu::Stream> stream;
  std::unique_ptr<gpu::DeviceSteps> steps;  // on `stream`, made on first resident call
  std::optional<gpu::Event> start;          // timing events of resident calls
  std::optional<gpu::Event> stop;
  std::unique_ptr<DeviceIpc> ipc;                              // CUDA IPC, made on first use
  std::map<std::string, std::unique_ptr<IpcTransport>> paths;  // by transport name; after ipc
  std::set<std::string> no_path;        // transports without the path (no local peer, or it failed)
  std::unique_ptr<gpu::NcclComm> nccl;  // last, so destroyed first: it may use the stream
};

DeviceStaging::DeviceStaging(Bootstrap& bootstrap, Watchdog& watchdog, std::size_t store_bytes,
                             std::chrono::milliseconds timeout)
    : bootstrap_(bootstrap), watchdog_(watchdog), store_bytes_(store_bytes), timeout_(timeout) {}

DeviceStaging::~DeviceStaging() = default;

std::string DeviceStaging::unavailable_reason(Bootstrap& bootstrap) {
  const auto here = gpu::cuda_availability();
  std::vector<std::int64_t> missing{here.available ? 0 : 1};
  bootstrap.allreduce_sum(missing);
  if (missing[0] == 0) return "";
  return here.available ? std::to_string(missing[0]) + " of " + std::to_string(bootstrap.size()) +
                              " ranks have no usable CUDA device"
                        : here.reason;
}

void DeviceStaging::set_up() {
  state();
}

DeviceStaging::State& DeviceStaging::state() {
  if (state_) return *state_;
  watchdog_.set_activity("setting up CUDA device buffers");
  watchdog_.kick();
  // The rank's local rank: its place among the ranks of its host.
  const auto hosts = bootstrap_.allgather_strings(local_host_name());
  const auto me = static_cast<std::size_t>(bootstrap_.rank());
  int local_rank = 0;
  for (std::size_t r = 0; r < me; ++r) {
    if (hosts[r] == hosts[me]) ++local_rank;
  }
  auto state = std::make_unique<State>();
  // The GPU closest to this rank's CPUs (hwloc), taken in turn by local rank; else local
  // rank modulo the devices.
  const std::string bus_id = choose_gpu(local_rank, detect_host_locality());
  const auto by_locality = bus_id.empty() ? std::nullopt : gpu::device_for_pci_bus_id(bus_id);
  state->device = by_locality ? *by_locality : gpu::device_for_local_rank(local_rank);
  std::string mine = "cuda" + std::to_string(state->device);
  mine += by_locality ? " (pci " + bus_id + ", closest to its CPUs)"
                      : " (local rank " + std::to_string(local_rank) + " mod the devices)";
  const auto all = bootstrap_.allgather_strings(mine);
  for (std::size_t r = 0; r < all.size(); ++r) {
    state->gpus.append(r == 0 ? "GPUs: rank " : ", rank ").append(std::to_string(r));
    state->gpus.append(" ").append(all[r]);
  }
  gpu::set_device(state->device);
  state->send = gpu::DeviceBuffer(store_bytes_);
  state->recv = gpu::DeviceBuffer(store_bytes_);
  state->stream.emplace();
  watchdog_.pause();
  state_ = std::move(state);
  return *state_;
}

gpu::NcclComm& DeviceStaging::nccl() {
  auto& s = state();
  if (!s.nccl) {
    watchdog_.set_activity("creating the NCCL communicator");
    watchdog_.kick();
    s.nccl = std::make_unique<gpu::NcclComm>(bootstrap_, s.device, timeout_);
    watchdog_.pause();
  }
  return *s.nccl;
}

const std::string& DeviceStaging::gpus() {
  return state().gpus;
}

gpu::StreamHandle DeviceStaging::stream() {
  return state().stream->handle();
}

Buffer DeviceStaging::send_store() {
  auto& s = state();
  return {{static_cast<std::byte*>(s.send.data()), s.send.size()}, nullptr};
}

Buffer DeviceStaging::recv_store() {
  auto& s = state();
  return {{static_cast<std::byte*>(s.recv.data()), s.recv.size()}, nullptr};
}

void DeviceStaging::pin(std::span<std::byte> host_send, std::span<std::byte> host_recv) {
  auto& s = state();
  s.pin_send.emplace(host_send.data(), host_send.size());
  s.pin_recv.emplace(host_recv.data(), host_recv.size());
}

std::string DeviceStaging::describe(bool device_only, const Transport* transport) {
  if (device_only) return "none: device buffers passed to the library";
  std::string staging =
      "pinned host: device-to-host copy, host algorithm, host-to-device copy, all inside the "
      "timed call (our algorithms compute on the CPU)";
  if (transport != nullptr) {
    staging += transport->capabilities().device_memory
                   ? "; the transport accepts device memory, unused here"
                   : "; the transport does not accept device memory";
  }
  return staging;
}

std::string DeviceStaging::describe_resident(const Transport& transport) {
  std::string text =
      "none: our algorithm on the device buffers, its reductions and copies on a CUDA stream, "
      "the data moved from device memory by the ";
  text.append(transport.name()).append(" transport");
  if (dynamic_cast<const IpcTransport*>(&transport) != nullptr)
    text.append(" and CUDA IPC (peer-to-peer copies between the GPUs of a host)");
  if (const auto path = transport.path(); !path.detail.empty())
    text.append(" (").append(path.detail).append(")");
  return text;
}

Transport& DeviceStaging::device_path(const std::string& name, Transport& inner) {
  auto& s = state();
  if (const auto it = s.paths.find(name); it != s.paths.end()) return *it->second;
  if (s.no_path.count(name) != 0) return inner;
  auto local = IpcTransport::same_machine(bootstrap_);
  std::vector<std::int64_t> sharing{0};
  for (std::size_t r = 0; r < local.size(); ++r) {
    if (local[r] && static_cast<int>(r) != bootstrap_.rank()) sharing[0] = 1;
  }
  bootstrap_.allreduce_sum(sharing);
  if (sharing[0] == 0) {  // a rank per host: nothing for IPC to join
    s.no_path.insert(name);
    return inner;
  }
  watchdog_.set_activity("setting up CUDA IPC between the GPUs of each host");
  watchdog_.kick();
  std::string failure;
  try {
    if (!s.ipc) s.ipc = gpu::make_cuda_ipc();
  } catch (const std::runtime_error& e) {
    failure = e.what();
  }
  std::vector<std::int64_t> failed{failure.empty() ? 0 : 1};
  bootstrap_.allreduce_sum(failed);
  if (failed[0] == 0) {
    try {
      s.paths[name] = std::make_unique<IpcTransport>(inner, bootstrap_, *s.ipc, std::move(local));
    } catch (const std::runtime_error& e) {  // every rank throws together
      failure = e.what();
    }
  } else if (failure.empty()) {
    failure = std::to_string(failed[0]) + " ranks could not set up CUDA IPC";
  }
  watchdog_.pause();
  if (!failure.empty()) {
    if (bootstrap_.rank() == 0) {
      std::fprintf(stderr, "fabricbench: note: no CUDA IPC path over %s (%s)\n", name.c_str(),
                   failure.c_str());
    }
    s.no_path.insert(name);
    return inner;
  }
  return *s.paths[name];
}

std::string DeviceStaging::resident_refusal(Transport& transport) {
  if (!transport.capabilities().device_memory) {
    try {
      transport.register_device_memory({});  // the transport's own reason, when it has one
    } catch (const TransportError& e) {
      return e.what();
    }
    return std::string(transport.name()) + ": this transport cannot move GPU memory";
  }
  return "";
}

DmaBufExporter DeviceStaging::dmabuf_exporter() {
  return [](std::span<std::byte> bytes, std::string& why) -> std::optional<DmaBuf> {
    const auto exported = gpu::export_dmabuf(bytes.data(), bytes.size(), why);
    if (!exported) return std::nullopt;
    return DmaBuf{exported->fd, exported->offset};
  };
}

double DeviceStaging::run_resident(Algorithm& algorithm, const CallLayout& device) {
  auto& s = state();
  if (!s.steps) {
    s.steps = std::make_unique<gpu::DeviceSteps>(s.stream->handle());
    s.start.emplace();
    s.stop.emplace();
  }
  CollArgs args = device.args;
  args.memory = s.steps.get();
  s.start->record(s.stream->handle());
  algorithm.run(args);
  s.stop->record(s.stream->handle());
  s.stop->synchronize();
  return gpu::elapsed_ms(*s.start, *s.stop) * 1000.0;
}

void DeviceStaging::run_staged(Algorithm& algorithm, const CallLayout& host,
                               const CallLayout& device) {
  gpu::memcpy_d2h(host.args.send.bytes.data(), device.args.send.bytes.data(),
                  host.args.send.bytes.size());
  algorithm.run(host.args);
  gpu::memcpy_h2d(device.args.recv.bytes.data(), host.args.recv.bytes.data(),
                  host.args.recv.bytes.size());
}

void DeviceStaging::upload(const CallLayout& host, const CallLayout& device, bool output_too) {
  if (output_too) gpu::memcpy_h2d(device.output.data(), host.output.data(), host.output.size());
  gpu::memcpy_h2d(device.input.data(), host.input.data(), host.input.size());
}

void DeviceStaging::download_output(const CallLayout& host, const CallLayout& device) {
  gpu::memcpy_d2h(host.output.data(), device.output.data(), host.output.size());
}

}  // namespace fb
