#include "collectives/nccl_baseline.hpp"

#include <stdexcept>
#include <string>

#include "gpu/nccl_comm.hpp"

namespace fb {

namespace {

class NcclAlgorithm final : public Algorithm {
 public:
  NcclAlgorithm(Collective collective, const AlgorithmContext& ctx)
      : collective_(collective),
        comm_(ctx.nccl),
        stream_(ctx.stream),
        timeout_(ctx.options.timeout),
        start_(true),
        stop_(true) {
    if (comm_ == nullptr || stream_ == nullptr) {
      throw std::invalid_argument("nccl: the harness must provide a communicator and a stream");
    }
  }

  void run(const CollArgs& a) override {
    const int n = comm_->size();
    const auto counts = buffer_counts(collective_, a.count, n);
    const void* send = a.send.bytes.data();
    void* recv = a.recv.bytes.data();
    start_.record(stream_);
    switch (collective_) {
      case Collective::allreduce:
        comm_->allreduce(send, recv, a.count, a.dtype, a.op, stream_);
        break;
      case Collective::reducescatter:
        comm_->reducescatter(send, recv, counts.recv, a.dtype, a.op, stream_);
        break;
      case Collective::allgather:
        comm_->allgather(send, recv, counts.send, a.dtype, stream_);
        break;
      case Collective::broadcast:
        comm_->broadcast(send, recv, a.count, a.dtype, a.root, stream_);
        break;
      case Collective::reduce:
        comm_->reduce(send, recv, a.count, a.dtype, a.op, a.root, stream_);
        break;
      case Collective::alltoall:
        comm_->alltoall(send, recv, counts.block, a.dtype, stream_);
        break;
      case Collective::sendrecv:
        comm_->sendrecv(send, recv, a.count, a.dtype, stream_);
        break;
    }
    stop_.record(stream_);
    comm_->wait(stream_, timeout_);
    last_us_ = gpu::elapsed_ms(start_, stop_) * 1000.0;
  }

  std::optional<double> device_time_us() const override { return last_us_; }

 private:
  Collective collective_;
  gpu::NcclComm* comm_;
  gpu::StreamHandle stream_;
  std::chrono::milliseconds timeout_;
  gpu::Event start_;
  gpu::Event stop_;
  double last_us_ = 0;
};

}  // namespace

std::unique_ptr<Algorithm> make_nccl(Collective collective, const AlgorithmContext& ctx) {
  return std::make_unique<NcclAlgorithm>(collective, ctx);
}

AlgorithmEntry nccl_entry(Collective collective, bool in_place, const char* call) {
  AlgorithmEntry entry;
  entry.collective = collective;
  entry.name = "nccl";
  entry.uses_transport = false;
  entry.supports_in_place = in_place;
  entry.description = std::string(call) + " (NCCL baseline, device buffers, CUDA-event timing)";
  entry.create = [collective](const AlgorithmContext& ctx) { return make_nccl(collective, ctx); };
  entry.supports = [](DType dtype, ReduceOp op) {
    return !(op == ReduceOp::avg && !is_integer(dtype));
  };
  entry.device_only = true;
  return entry;
}

}  // namespace fb
