// CUDA IPC between the processes of one host (core/device_ipc.hpp): allocations exported
// with cudaIpcGetMemHandle (the whole allocation, found with cuMemGetAddressRange), opened
// with cudaIpcOpenMemHandle (peer access enabled lazily for a peer's other GPU), and copied
// with cudaMemcpyAsync on a non-blocking stream of its own, each copy followed by an event
// whose completion ends it. The local IPC path (transports/ipc_transport.hpp) uses it.
#pragma once

#include <memory>

#include "core/device_ipc.hpp"

namespace fb::gpu {

// CUDA IPC for the current device (set_device first). Throws CudaError when the device has
// none to offer (a build without CUDA: "built without CUDA support").
std::unique_ptr<DeviceIpc> make_cuda_ipc();

}  // namespace fb::gpu
