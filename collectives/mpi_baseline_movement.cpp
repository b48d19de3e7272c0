// Baselines for broadcast, reduce, all-to-all and sendrecv: the MPI library's own calls,
// driven and timed by the same harness as our algorithms. They bring their own
// communication, so they ignore --transport.
//
// In place follows MPI: a broadcast root whose send and receive buffers are one buffer
// broadcasts it directly (out of place, the root first copies send to recv, then broadcasts
// recv); a reduce root in place passes MPI_IN_PLACE, and every other rank passes its send
// buffer (its receive buffer is not significant to MPI_Reduce and is left untouched).
#include "collectives/mpi_baseline_movement.hpp"

#include <mpi.h>

#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>

#include "collectives/mpi_types.hpp"
#include "transports/mpi_bootstrap.hpp"

namespace fb {

namespace {

// MPI counts are int: larger calls are refused rather than truncated.
int mpi_count(std::size_t count, const char* call) {
  if (count > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument(std::string("mpi baseline: ") + call +
                                " count exceeds INT_MAX elements");
  }
  return static_cast<int>(count);
}

// A private duplicate of the bootstrap's communicator, so a baseline's traffic never
// matches anyone else's; freed on destruction unless MPI is already gone.
class MpiBaseline : public Algorithm {
 public:
  explicit MpiBaseline(const MpiBootstrap& bootstrap) {
    check_mpi(MPI_Comm_dup(bootstrap.comm(), &comm_), "MPI_Comm_dup");
    check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  ~MpiBaseline() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }
  MpiBaseline(const MpiBaseline&) = delete;
  MpiBaseline& operator=(const MpiBaseline&) = delete;

 protected:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

class MpiBroadcast final : public MpiBaseline {
 public:
  using MpiBaseline::MpiBaseline;
  void run(const CollArgs& args) override {
    const int count = mpi_count(args.count, "MPI_Bcast");
    if (rank_ == args.root && args.send.bytes.data() != args.recv.bytes.data()) {
      std::memcpy(args.recv.bytes.data(), args.send.bytes.data(),
                  args.count * dtype_size(args.dtype));
    }
    check_mpi(MPI_Bcast(args.recv.bytes.data(), count, mpi_datatype(args.dtype), args.root, comm_),
              "MPI_Bcast");
  }
};

class MpiReduce final : public MpiBaseline {
 public:
  using MpiBaseline::MpiBaseline;
  void run(const CollArgs& args) override {
    const int count = mpi_count(args.count, "MPI_Reduce");
    const bool in_place = args.send.bytes.data() == args.recv.bytes.data();
    const void* send = rank_ == args.root && in_place
                           ? MPI_IN_PLACE
                           : static_cast<const void*>(args.send.bytes.data());
    // Only the root's receive buffer is significant: the others pass none, so it stays as is.
    void* recv = rank_ == args.root ? args.recv.bytes.data() : nullptr;
    check_mpi(
        MPI_Reduce(send, recv, count, mpi_datatype(args.dtype), mpi_op(args.op), args.root, comm_),
        "MPI_Reduce");
  }
};

class MpiAlltoall final : public MpiBaseline {
 public:
  using MpiBaseline::MpiBaseline;
  void run(const CollArgs& args) override {
    const auto counts = buffer_counts(Collective::alltoall, args.count, size_);
    const int block = mpi_count(counts.block, "MPI_Alltoall");
    const MPI_Datatype type = mpi_datatype(args.dtype);
    check_mpi(MPI_Alltoall(args.send.bytes.data(), block, type, args.recv.bytes.data(), block, type,
                           comm_),
              "MPI_Alltoall");
  }
};

class MpiSendrecv final : public MpiBaseline {
 public:
  using MpiBaseline::MpiBaseline;
  void run(const CollArgs& args) override {
    const int count = mpi_count(args.count, "MPI_Sendrecv");
    const MPI_Datatype type = mpi_datatype(args.dtype);
    const int right = (rank_ + 1) % size_;
    const int left = (rank_ - 1 + size_) % size_;
    check_mpi(MPI_Sendrecv(args.send.bytes.data(), count, type, right, 0, args.recv.bytes.data(),
                           count, type, left, 0, comm_, MPI_STATUS_IGNORE),
              "MPI_Sendrecv");
  }
};

template <typename A>
std::unique_ptr<Algorithm> make_baseline(const AlgorithmContext& ctx) {
  const auto* mpi = dynamic_cast<const MpiBootstrap*>(&ctx.bootstrap);
  if (mpi == nullptr) throw std::invalid_argument("mpi baseline needs the MPI bootstrap");
  return std::make_unique<A>(*mpi);
}

}  // namespace

std::unique_ptr<Algorithm> make_mpi_broadcast(const AlgorithmContext& ctx) {
  return make_baseline<MpiBroadcast>(ctx);
}
std::unique_ptr<Algorithm> make_mpi_reduce(const AlgorithmContext& ctx) {
  return make_baseline<MpiReduce>(ctx);
}
std::unique_ptr<Algorithm> make_mpi_alltoall(const AlgorithmContext& ctx) {
  return make_baseline<MpiAlltoall>(ctx);
}
std::unique_ptr<Algorithm> make_mpi_sendrecv(const AlgorithmContext& ctx) {
  return make_baseline<MpiSendrecv>(ctx);
}

}  // namespace fb
