// NCCL communicator and collectives (built with CUDA; gpu/fallback.cpp otherwise).
//
// The communicator is nonblocking: ncclCommInitRankConfig, ncclGroupEnd, the collectives and
// ncclCommFinalize may return ncclInProgress, after which ncclCommGetAsyncError reports
// ncclInProgress until the call has taken effect. Every such wait has a deadline (`timeout_`
// for initialisation and enqueueing, the caller's for wait()), and a deadline that passes
// aborts the communicator, so a peer that never arrives becomes an error, not a hang.
#include "gpu/nccl_comm.hpp"

#include <cuda_runtime.h>
#include <nccl.h>

#include <array>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/bootstrap.hpp"
#include "gpu/cuda_check.hpp"

namespace fb::gpu {

namespace {

using Clock = std::chrono::steady_clock;

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::int8:
      return ncclInt8;
    case DType::uint8:
      return ncclUint8;
    case DType::int32:
      return ncclInt32;
    case DType::uint32:
      return ncclUint32;
    case DType::int64:
      return ncclInt64;
    case DType::uint64:
      return ncclUint64;
    case DType::float16:
      return ncclFloat16;
    case DType::bfloat16:
      return ncclBfloat16;
    case DType::float32:
      return ncclFloat32;
    case DType::float64:
      return ncclFloat64;
  }
  throw std::invalid_argument("invalid datatype");
}

// avg: see the header for how ncclAvg differs from our CPU avg.
ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return ncclSum;
    case ReduceOp::prod:
      return ncclProd;
    case ReduceOp::min:
      return ncclMin;
    case ReduceOp::max:
      return ncclMax;
    case ReduceOp::avg:
      return ncclAvg;
  }
  throw std::invalid_argument("invalid reduction op");
}

// "allreduce of 1024 float32 (sum)", "broadcast of 1024 float32 from rank 0".
std::string describe(const char* collective, std::size_t count, DType dtype) {
  return std::string(collective) + " of " + std::to_string(count) + " " +
         std::string(to_string(dtype));
}

std::string describe(const char* collective, std::size_t count, DType dtype, ReduceOp op) {
  return describe(collective, count, dtype) + " (" + std::string(to_string(op)) + ")";
}

// Errors that leave the communicator usable: the call was rejected before anything started.
bool rejected_call(ncclResult_t result) {
  return result == ncclInvalidArgument || result == ncclInvalidUsage;
}

}  // namespace

NcclComm::NcclComm(Bootstrap& bootstrap, int device, std::chrono::milliseconds timeout)
    : rank_(bootstrap.rank()), size_(bootstrap.size()), device_(device), timeout_(timeout) {
  detail::cuda_check(cudaSetDevice(device), "cudaSetDevice(" + std::to_string(device) + ")");

  // Rank 0 makes the id; the first byte says whether it could, so that a failure there is an
  // error on every rank instead of a hang in ncclCommInitRankConfig.
  std::array<std::byte, 1 + sizeof(ncclUniqueId)> message{};
  ncclUniqueId id{};
  ncclResult_t id_result = ncclSuccess;
  if (rank_ == 0) {
    id_result = ncclGetUniqueId(&id);
    message[0] = std::byte{id_result == ncclSuccess ? std::uint8_t{1} : std::uint8_t{0}};
    std::memcpy(message.data() + 1, &id, sizeof id);
  }
  bootstrap.broadcast(message, 0);
  if (message[0] != std::byte{1}) {
    throw NcclError(rank_ == 0 ? std::string("ncclGetUniqueId: ") + ncclGetErrorString(id_result)
                               : std::string("ncclGetUniqueId failed on rank 0"));
  }
  std::memcpy(&id, message.data() + 1, sizeof id);

  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  last_operation_ = "communicator initialisation";
  ncclComm_t comm = nullptr;
  const ncclResult_t result = ncclCommInitRankConfig(&comm, size_, id, rank_, &config);
  comm_ = comm;
  if (result != ncclSuccess && result != ncclInProgress) {
    const std::string detail = comm_ != nullptr ? ncclGetLastError(comm_) : "";
    abort_now();
    throw NcclError("ncclCommInitRankConfig" + where() + ": " + ncclGetErrorString(result) +
                    (detail.empty() ? "" : ": " + detail));
  }
  settle("ncclCommInitRankConfig");
}

NcclComm::~NcclComm() {
  if (comm_ == nullptr) return;
  // Finalize flushes outstanding work and synchronises with the peers; if it fails or does
  // not finish in time, abort instead. A destructor cannot report either.
  static_cast<void>(cudaSetDevice(device_));
  ncclResult_t result = ncclCommFinalize(comm_);
  const auto deadline = Clock::now() + timeout_;
  while (result == ncclInProgress && Clock::now() < deadline) {
    if (ncclCommGetAsyncError(comm_, &result) != ncclSuccess) result = ncclInternalError;
    if (result == ncclInProgress) std::this_thread::yield();
  }
  if (result == ncclSuccess) {
    static_cast<void>(ncclCommDestroy(comm_));
  } else {
    static_cast<void>(ncclCommAbort(comm_));
  }
  comm_ = nullptr;
}

std::string NcclComm::where() const {
  return " (rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ", device " +
         std::to_string(device_) + ")";
}

void NcclComm::require_usable() const {
  if (comm_ == nullptr) {
    throw NcclError("NCCL communicator" + where() + " was aborted: " + abort_reason_);
  }
}

void NcclComm::abort_now() {
  if (comm_ != nullptr) static_cast<void>(ncclCommAbort(comm_));
  comm_ = nullptr;
}

void NcclComm::fail(const std::string& message, bool timed_out) {
  abort_reason_ = message;
  abort_now();
  if (timed_out) throw NcclTimeoutError(message);
  throw NcclError(message);
}

// Throws for an asynchronous error on the communicator (aborting it).
void NcclComm::check_async(const char* during) {
  ncclResult_t state = ncclSuccess;
  const ncclResult_t query = ncclCommGetAsyncError(comm_, &state);
  if (query != ncclSuccess) state = query;
  if (state == ncclSuccess || state == ncclInProgress) return;
  const std::string detail = ncclGetLastError(comm_);
  fail(std::string("NCCL error during ") + during + where() + ": " + ncclGetErrorString(state) +
           (detail.empty() ? "" : ": " + detail),
       false);
}

// Waits until a nonblocking call has taken effect (the state leaves ncclInProgress).
void NcclComm::settle(const char* call) {
  const auto start = Clock::now();
  for (;;) {
    ncclResult_t state = ncclSuccess;
    const ncclResult_t query = ncclCommGetAsyncError(comm_, &state);
    if (query != ncclSuccess) state = query;
    if (state == ncclSuccess) return;
    if (state != ncclInProgress) {
      const std::string detail = ncclGetLastError(comm_);
      fail(std::string(call) + " failed for " + last_operation_ + where() + ": " +
               ncclGetErrorString(state) + (detail.empty() ? "" : ": " + detail),
           false);
    }
    if (Clock::now() - start >= timeout_) {
      fail("NCCL timed out after " + std::to_string(timeout_.count()) + " ms in " + call + " for " +
               last_operation_ + where(),
           true);
    }
    std::this_thread::yield();
  }
}

void NcclComm::launched(int result, const char* call) {
  const auto r = static_cast<ncclResult_t>(result);
  if (r == ncclSuccess) return;
  if (r == ncclInProgress) return settle(call);
  const std::string message =
      std::string(call) + " failed for " + last_operation_ + where() + ": " + ncclGetErrorString(r);
  if (rejected_call(r)) throw NcclError(message);
  const std::string detail = ncclGetLastError(comm_);
  fail(message + (detail.empty() ? "" : ": " + detail), false);
}

void NcclComm::allreduce(const void* send, void* recv, std::size_t count, DType dtype, ReduceOp op,
                         StreamHandle stream) {
  require_usable();
  last_operation_ = describe("allreduce", count, dtype, op);
  launched(ncclAllReduce(send, recv, count, nccl_type(dtype), nccl_op(op), comm_, stream),
           "ncclAllReduce");
}

void NcclComm::reducescatter(const void* send, void* recv, std::size_t recv_count, DType dtype,
                             ReduceOp op, StreamHandle stream) {
  require_usable();
  last_operation_ = describe("reducescatter", recv_count, dtype, op) + " per rank";
  launched(ncclReduceScatter(send, recv, recv_count, nccl_type(dtype), nccl_op(op), comm_, stream),
           "ncclReduceScatter");
}

void NcclComm::allgather(const void* send, void* recv, std::size_t send_count, DType dtype,
                         StreamHandle stream) {
  require_usable();
  last_operation_ = describe("allgather", send_count, dtype) + " per rank";
  launched(ncclAllGather(send, recv, send_count, nccl_type(dtype), comm_, stream), "ncclAllGather");
}

void NcclComm::broadcast(const void* send, void* recv, std::size_t count, DType dtype, int root,
                         StreamHandle stream) {
  require_usable();
  last_operation_ = describe("broadcast", count, dtype) + " from rank " + std::to_string(root);
  launched(ncclBroadcast(send, recv, count, nccl_type(dtype), root, comm_, stream),
           "ncclBroadcast");
}

void NcclComm::reduce(const void* send, void* recv, std::size_t count, DType dtype, ReduceOp op,
                      int root, StreamHandle stream) {
  require_usable();
  last_operation_ = describe("reduce", count, dtype, op) + " to rank " + std::to_string(root);
  launched(ncclReduce(send, recv, count, nccl_type(dtype), nccl_op(op), root, comm_, stream),
           "ncclReduce");
}

void NcclComm::alltoall(const void* send, void* recv, std::size_t block_count, DType dtype,
                        StreamHandle stream) {
  require_usable();
  last_operation_ = describe("alltoall", block_count, dtype) + " per rank";
  const ncclDataType_t type = nccl_type(dtype);
  const std::size_t block_bytes = block_count * dtype_size(dtype);
  const auto* in = static_cast<const std::byte*>(send);
  auto* out = static_cast<std::byte*>(recv);
  launched(ncclGroupStart(), "ncclGroupStart");
  // Every send and receive is posted before the group ends, so the order does not matter;
  // an error inside the group still ends it, as NCCL requires.
  ncclResult_t result = ncclSuccess;
  for (int peer = 0; peer < size_ && result == ncclSuccess; ++peer) {
    const auto offset = static_cast<std::size_t>(peer) * block_bytes;
    result = ncclSend(in + offset, block_count, type, peer, comm_, stream);
    if (result == ncclSuccess)
      result = ncclRecv(out + offset, block_count, type, peer, comm_, stream);
  }
  const ncclResult_t end = ncclGroupEnd();
  launched(result, "ncclSend/ncclRecv");
  launched(end, "ncclGroupEnd");
}

void NcclComm::sendrecv(const void* send, void* recv, std::size_t count, DType dtype,
                        StreamHandle stream) {
  require_usable();
  last_operation_ = describe("sendrecv", count, dtype);
  const ncclDataType_t type = nccl_type(dtype);
  const int next = (rank_ + 1) % size_;
  const int prev = (rank_ + size_ - 1) % size_;
  launched(ncclGroupStart(), "ncclGroupStart");
  ncclResult_t result = ncclSend(send, count, type, next, comm_, stream);
  if (result == ncclSuccess) result = ncclRecv(recv, count, type, prev, comm_, stream);
  const ncclResult_t end = ncclGroupEnd();
  launched(result, "ncclSend/ncclRecv");
  launched(end, "ncclGroupEnd");
}

void NcclComm::wait(StreamHandle stream, std::chrono::milliseconds timeout) {
  require_usable();
  const auto start = Clock::now();
  for (;;) {
    const cudaError_t state = cudaStreamQuery(stream);
    if (state == cudaSuccess) break;
    if (state != cudaErrorNotReady) {
      static_cast<void>(cudaGetLastError());
      const std::string message = "cudaStreamQuery while waiting for " + last_operation_ + where() +
                                  ": " + detail::cuda_error_text(state);
      abort_reason_ = message;
      abort_now();
      throw CudaError(message);
    }
    check_async(last_operation_.c_str());
    if (Clock::now() - start >= timeout) {
      fail("NCCL timed out after " + std::to_string(timeout.count()) + " ms waiting for " +
               last_operation_ + where(),
           true);
    }
    std::this_thread::yield();
  }
  check_async(last_operation_.c_str());
}

}  // namespace fb::gpu
