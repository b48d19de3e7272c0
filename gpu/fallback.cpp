// fb_gpu in a build without CUDA (FB_HAVE_CUDA == 0): the same interface, so code that uses
// it compiles and links everywhere; cuda_availability() says why there is no GPU and every
// other entry point throws CudaError("built without CUDA support"). Nothing here can own a
// CUDA resource, so destructors and moves have nothing to release (the destructors are empty
// rather than defaulted: the header declares them for the CUDA build, where they release).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "gpu/cuda_env.hpp"
#include "gpu/cuda_ipc.hpp"
#include "gpu/device.hpp"
#include "gpu/error.hpp"
#include "gpu/nccl_comm.hpp"
#include "gpu/reduce.hpp"

static_assert(!fb::gpu::kBuiltWithCuda, "gpu/fallback.cpp is for builds without CUDA");

namespace fb::gpu {

namespace {

[[noreturn]] void no_cuda() {
  throw CudaError(kBuiltWithoutCuda);
}

}  // namespace

// ---- gpu/cuda_env.hpp ----

CudaAvailability cuda_availability() {
  return {false, kBuiltWithoutCuda, 0};
}

int device_for_local_rank(int /*local_rank*/) {
  no_cuda();
}

std::optional<int> device_for_pci_bus_id(const std::string& /*bus_id*/) {
  no_cuda();
}

void set_device(int /*device*/) {
  no_cuda();
}

int current_device() {
  no_cuda();
}

void synchronize_device() {
  no_cuda();
}

std::string device_description(int /*device*/) {
  no_cuda();
}

std::string cuda_runtime_version() {
  no_cuda();
}

std::string cuda_driver_version() {
  no_cuda();
}

std::string nccl_version() {
  no_cuda();
}

// ---- gpu/device.hpp ----

DeviceBuffer::DeviceBuffer(std::size_t /*bytes*/, DeviceMemory /*kind*/) {
  no_cuda();
}
DeviceBuffer::~DeviceBuffer() {}
DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  data_ = std::exchange(other.data_, nullptr);
  bytes_ = std::exchange(other.bytes_, 0);
  return *this;
}

HostRegistration::HostRegistration(void* /*data*/, std::size_t /*bytes*/) {
  no_cuda();
}
HostRegistration::~HostRegistration() {}
PinnedHostBuffer::PinnedHostBuffer(std::size_t /*bytes*/) {
  no_cuda();
}
PinnedHostBuffer::~PinnedHostBuffer() {}
PinnedHostBuffer::PinnedHostBuffer(PinnedHostBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
PinnedHostBuffer& PinnedHostBuffer::operator=(PinnedHostBuffer&& other) noexcept {
  data_ = std::exchange(other.data_, nullptr);
  bytes_ = std::exchange(other.bytes_, 0);
  return *this;
}

Stream::Stream() {
  no_cuda();
}
Stream::~Stream() {}
Stream::Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
Stream& Stream::operator=(Stream&& other) noexcept {
  stream_ = std::exchange(other.stream_, nullptr);
  return *this;
}
void Stream::synchronize() const {
  no_cuda();
}
bool Stream::done() const {
  no_cuda();
}

Event::Event(bool /*timing*/) {
  no_cuda();
}
Event::~Event() {}
Event::Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
Event& Event::operator=(Event&& other) noexcept {
  event_ = std::exchange(other.event_, nullptr);
  return *this;
}
void Event::record(StreamHandle /*stream*/) {
  no_cuda();
}
void Event::synchronize() const {
  no_cuda();
}
bool Event::done() const {
  no_cuda();
}

double elapsed_ms(const Event& /*start*/, const Event& /*stop*/) {
  no_cuda();
}

void memcpy_h2d(void* /*dst*/, const void* /*src*/, std::size_t /*bytes*/) {
  no_cuda();
}
void memcpy_d2h(void* /*dst*/, const void* /*src*/, std::size_t /*bytes*/) {
  no_cuda();
}
void memcpy_d2d(void* /*dst*/, const void* /*src*/, std::size_t /*bytes*/) {
  no_cuda();
}
void memcpy_h2d_async(void* /*dst*/, const void* /*src*/, std::size_t /*bytes*/,
                      StreamHandle /*stream*/) {
  no_cuda();
}
void memcpy_d2h_async(void* /*dst*/, const void* /*src*/, std::size_t /*bytes*/,
                      StreamHandle /*stream*/) {
  no_cuda();
}
void memcpy_d2d_async(void* /*dst*/, const void* /*src*/, std::size_t /*bytes*/,
                      StreamHandle /*stream*/) {
  no_cuda();
}
void memset_device(void* /*dst*/, unsigned char /*value*/, std::size_t /*bytes*/) {
  no_cuda();
}
void memset_device_async(void* /*dst*/, unsigned char /*value*/, std::size_t /*bytes*/,
                         StreamHandle /*stream*/) {
  no_cuda();
}

void hold_stream(StreamHandle /*stream*/, std::function<bool()> /*release*/) {
  no_cuda();
}

// ---- gpu/reduce.hpp ----

DeviceReduceKernels device_reduce_kernels(DType /*dtype*/, ReduceOp /*op*/) {
  no_cuda();
}

void combine(DType /*dtype*/, ReduceOp /*op*/, void* /*dst*/, const void* /*a*/, const void* /*b*/,
             std::size_t /*count*/, StreamHandle /*stream*/) {
  no_cuda();
}

void combine3(DType /*dtype*/, ReduceOp /*op*/, void* /*dst*/, const void* /*a*/, const void* /*b*/,
              const void* /*c*/, std::size_t /*count*/, StreamHandle /*stream*/) {
  no_cuda();
}

void finalize(DType /*dtype*/, ReduceOp /*op*/, void* /*data*/, std::size_t /*count*/,
              int /*n_ranks*/, StreamHandle /*stream*/) {
  no_cuda();
}

// ---- gpu/nccl_comm.hpp ----

NcclComm::NcclComm(Bootstrap& /*bootstrap*/, int device, std::chrono::milliseconds timeout)
    : device_(device), timeout_(timeout) {
  no_cuda();
}
NcclComm::~NcclComm() {}

void NcclComm::allreduce(const void* /*send*/, void* /*recv*/, std::size_t /*count*/,
                         DType /*dtype*/, ReduceOp /*op*/, StreamHandle /*stream*/) {
  no_cuda();
}
void NcclComm::reducescatter(const void* /*send*/, void* /*recv*/, std::size_t /*recv_count*/,
                             DType /*dtype*/, ReduceOp /*op*/, StreamHandle /*stream*/) {
  no_cuda();
}
void NcclComm::allgather(const void* /*send*/, void* /*recv*/, std::size_t /*send_count*/,
                         DType /*dtype*/, StreamHandle /*stream*/) {
  no_cuda();
}
void NcclComm::broadcast(const void* /*send*/, void* /*recv*/, std::size_t /*count*/,
                         DType /*dtype*/, int /*root*/, StreamHandle /*stream*/) {
  no_cuda();
}
void NcclComm::reduce(const void* /*send*/, void* /*recv*/, std::size_t /*count*/, DType /*dtype*/,
                      ReduceOp /*op*/, int /*root*/, StreamHandle /*stream*/) {
  no_cuda();
}
void NcclComm::alltoall(const void* /*send*/, void* /*recv*/, std::size_t /*block_count*/,
                        DType /*dtype*/, StreamHandle /*stream*/) {
  no_cuda();
}
void NcclComm::sendrecv(const void* /*send*/, void* /*recv*/, std::size_t /*count*/,
                        DType /*dtype*/, StreamHandle /*stream*/) {
  no_cuda();
}
void NcclComm::wait(StreamHandle /*stream*/, std::chrono::milliseconds /*timeout*/) {
  no_cuda();
}

std::optional<DmaBufExport> export_dmabuf(const void* /*data*/, std::size_t /*bytes*/,
                                          std::string& why) {
  why = "built without CUDA support";
  return std::nullopt;
}

// ---- gpu/cuda_ipc.hpp ----

std::unique_ptr<DeviceIpc> make_cuda_ipc() {
  no_cuda();
}

}  // namespace fb::gpu
