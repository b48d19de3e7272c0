// An NCCL communicator over the ranks of a Bootstrap, one CUDA device per rank, and the
// collectives launched on it. Independent of the harness: the caller owns buffers, streams
// and timing. No NCCL or CUDA header is included.
//
// Counts follow NCCL (and nccl-tests), in elements:
//   allreduce, broadcast, reduce, sendrecv   count elements in each buffer
//   reducescatter   recv_count per rank: send holds size() * recv_count
//   allgather       send_count per rank: recv holds size() * send_count
//   alltoall        block_count to and from each rank: both hold size() * block_count
// In terms of buffer_counts() (core/types.hpp): pass .recv for reducescatter and
// .send for allgather, .block for alltoall, the total otherwise.
//
// Launching is asynchronous: a collective returns once it is enqueued on `stream`; wait()
// (or any stream synchronisation) completes it. The communicator is nonblocking
// (ncclConfig_t::blocking = 0), so initialisation and every wait can time out: on a
// timeout the communicator is aborted and NcclTimeoutError names the operation; afterwards
// every call throws NcclError.
//
// Semantics that differ from our CPU kernels (collectives/reduce_kernels.hpp), which the
// validation must allow for:
//   avg   NCCL computes integer avg as a sum followed by one truncating division (as we do),
//         but floating-point avg as a sum of inputs each premultiplied by 1/size() (ncclAvg is
//         ncclPreMulSum with 1/n), so for n not a power of two the rounding differs from our
//         sum-then-divide, and float16/bfloat16 are scaled in their own precision.
//   min, max   NCCL does not promise our NaN propagation or our ordering of -0 below +0.
//   sum, prod  of float16/bfloat16 are rounded to the type after every step of NCCL's own
//         reduction order, which is not ours; only inputs that reduce exactly compare.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "core/types.hpp"
#include "gpu/device.hpp"

struct ncclComm;

namespace fb {
class Bootstrap;
}

namespace fb::gpu {

class NcclComm {
 public:
  // Collective over the bootstrap: every rank calls it with its own device. Rank 0 creates
  // the unique id and broadcasts it through the bootstrap. Makes `device` current. `timeout`
  // bounds initialisation, each launch (a nonblocking launch may have to wait for NCCL) and
  // finalisation in the destructor; NcclTimeoutError when it passes.
  NcclComm(Bootstrap& bootstrap, int device,
           std::chrono::milliseconds timeout = std::chrono::seconds(120));
  ~NcclComm();
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;
  NcclComm(NcclComm&&) = delete;
  NcclComm& operator=(NcclComm&&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int device() const { return device_; }

  void allreduce(const void* send, void* recv, std::size_t count, DType dtype, ReduceOp op,
                 StreamHandle stream);
  void reducescatter(const void* send, void* recv, std::size_t recv_count, DType dtype, ReduceOp op,
                     StreamHandle stream);
  void allgather(const void* send, void* recv, std::size_t send_count, DType dtype,
                 StreamHandle stream);
  // recv on every rank receives root's send (send is read on the root only; may equal recv).
  void broadcast(const void* send, void* recv, std::size_t count, DType dtype, int root,
                 StreamHandle stream);
  // recv is written on the root only.
  void reduce(const void* send, void* recv, std::size_t count, DType dtype, ReduceOp op, int root,
              StreamHandle stream);
  // ncclSend/ncclRecv to and from every rank (itself included) in one group.
  void alltoall(const void* send, void* recv, std::size_t block_count, DType dtype,
                StreamHandle stream);
  // Ring shift in one group: send to rank + 1, receive from rank - 1.
  void sendrecv(const void* send, void* recv, std::size_t count, DType dtype, StreamHandle stream);

  // Waits until the work on `stream` has finished, watching the communicator for
  // asynchronous errors. Throws NcclError on an NCCL error (ncclGetErrorString and
  // ncclGetLastError), CudaError on a CUDA error, and NcclTimeoutError ("NCCL timed out
  // after 5000 ms waiting for allreduce of 1024 float32 (sum) ...") after aborting the
  // communicator when `timeout` passes first.
  void wait(StreamHandle stream, std::chrono::milliseconds timeout);

  // The last operation launched, as the timeout message names it.
  const std::string& last_operation() const { return last_operation_; }
  // True once the communicator has been aborted (after a timeout or an asynchronous error).
  bool aborted() const { return comm_ == nullptr; }

 private:
  std::string where() const;  // " (rank 1 of 4, device 1)"
  void require_usable() const;
  // Checks a launch's result; ncclInProgress is waited out with settle().
  void launched(int result, const char* call);
  void settle(const char* call);
  void check_async(const char* during);
  void abort_now();
  [[noreturn]] void fail(const std::string& message, bool timed_out);

  ncclComm* comm_ = nullptr;
  int rank_ = 0;
  int size_ = 0;
  int device_ = 0;
  std::chrono::milliseconds timeout_;
  std::string last_operation_;
  std::string abort_reason_;
};

}  // namespace fb::gpu
