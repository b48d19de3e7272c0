// Device memory for --memory cuda series: this rank's GPU (local rank modulo the devices),
// the two device stores, the host stores pinned for staging, a stream, and NCCL when a
// series needs it. Our algorithms compute on the CPU, so a device series stages its call:
// the input is copied device-to-host, the host algorithm runs, and the result is copied
// host-to-device, all inside the timed call. NCCL takes the device stores directly.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "collectives/algorithm.hpp"
#include "core/bootstrap.hpp"
#include "gpu/device.hpp"
#include "gpu/nccl_comm.hpp"
#include "harness/call_setup.hpp"
#include "harness/faults/watchdog.hpp"
#include "transports/transport.hpp"

namespace fb {

class DeviceStaging {
 public:
  // Nothing is set up until a series needs the device (set_up()).
  DeviceStaging(Bootstrap& bootstrap, Watchdog& watchdog, std::size_t store_bytes,
                std::chrono::milliseconds timeout);
  ~DeviceStaging();
  DeviceStaging(const DeviceStaging&) = delete;
  DeviceStaging& operator=(const DeviceStaging&) = delete;

  // Collective: "" when every rank has a usable CUDA device, else why not (one line; rank
  // 0, which prints and records it, gives its own reason if it has one).
  static std::string unavailable_reason(Bootstrap& bootstrap);

  // Collective on first use: picks the device and allocates the device stores and the stream.
  void set_up();
  bool is_set_up() const { return static_cast<bool>(state_); }
  // Collective on first use: the NCCL communicator on this rank's device.
  gpu::NcclComm& nccl();
  gpu::StreamHandle stream();
  // Every rank's GPU and how it was chosen (closest to its CPUs by hwloc, or local rank
  // modulo the devices), one line for the series' descriptions.
  const std::string& gpus();
  // The device stores, as buffers without a transport region.
  Buffer send_store();
  Buffer recv_store();
  // Pins the host stores so that the staging copies are DMA (after set_up()).
  void pin(std::span<std::byte> host_send, std::span<std::byte> host_recv);

  // What the results file records as a device series' staging: none for a library that
  // takes device buffers (`device_only`), else the pinned host staging, and whether
  // `transport` (null: none) could have taken device memory.
  static std::string describe(bool device_only, const Transport* transport);
  // The same for our algorithm run on the device buffers (--staging none).
  static std::string describe_resident(const Transport& transport);
  // Collective on first use per transport name: what moves our algorithms' device memory
  // over `inner`. When some ranks share a host, the local IPC path (CUDA IPC between the
  // GPUs of one host, `inner` between hosts: transports/ipc_transport.hpp); else `inner`.
  // When the path cannot be set up (no shared memory, no CUDA IPC), `inner`, and rank 0
  // says why on stderr once.
  Transport& device_path(const std::string& name, Transport& inner);
  // Why `transport` cannot move device memory, in one line ("" when it can).
  static std::string resident_refusal(Transport& transport);
  // gpu/'s dma-buf export of device memory, for transports that register it with the NIC
  // (verbs, GPUDirect RDMA).
  static DmaBufExporter dmabuf_exporter();

  // One call of our algorithm on the device layout (--staging none): its copies and
  // reductions on this rank's stream (gpu::DeviceSteps), the transport moving device memory.
  // Returns the call's time between CUDA events recorded on that stream around it, in
  // microseconds (the call ends synchronised, so it spans the whole call).
  double run_resident(Algorithm& algorithm, const CallLayout& device);

  // One staged call of `algorithm` on the host layout, its input and result on the device.
  static void run_staged(Algorithm& algorithm, const CallLayout& host, const CallLayout& device);
  // Copies the host layout's input (and, with `output_too`, its output) to the device.
  static void upload(const CallLayout& host, const CallLayout& device, bool output_too);
  // Copies the device layout's output back to the host layout.
  static void download_output(const CallLayout& host, const CallLayout& device);

 private:
  struct State;
  State& state();

  Bootstrap& bootstrap_;
  Watchdog& watchdog_;
  std::size_t store_bytes_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<State> state_;
};

}  // namespace fb
