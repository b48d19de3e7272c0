// Baselines: the MPI library's own collectives, driven and timed by the same harness as our
// algorithms. They bring their own communication, so they ignore --transport.
#include "collectives/mpi_baseline.hpp"

#include <mpi.h>

#include <climits>
#include <stdexcept>

#include "collectives/mpi_types.hpp"
#include "transports/mpi_bootstrap.hpp"

namespace fb {

namespace {

int checked_count(std::size_t count) {
  if (count > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument("mpi baseline: count exceeds INT_MAX elements");
  }
  return static_cast<int>(count);
}

// Owns the private communicator; subclasses make one MPI call per run().
class MpiCollective : public Algorithm {
 public:
  explicit MpiCollective(const AlgorithmContext& ctx) {
    const auto* mpi = dynamic_cast<const MpiBootstrap*>(&ctx.bootstrap);
    if (mpi == nullptr) throw std::invalid_argument("mpi baseline needs the MPI bootstrap");
    check_mpi(MPI_Comm_dup(mpi->comm(), &comm_), "MPI_Comm_dup");
    check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  ~MpiCollective() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }
  MpiCollective(const MpiCollective&) = delete;
  MpiCollective& operator=(const MpiCollective&) = delete;

 protected:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int size_ = 1;
};

class MpiAllreduce final : public MpiCollective {
 public:
  using MpiCollective::MpiCollective;
  void run(const CollArgs& a) override {
    const bool in_place = a.send.bytes.data() == a.recv.bytes.data();
    const void* send = in_place ? MPI_IN_PLACE : static_cast<const void*>(a.send.bytes.data());
    check_mpi(MPI_Allreduce(send, a.recv.bytes.data(), checked_count(a.count),
                            mpi_datatype(a.dtype), mpi_op(a.op), comm_),
              "MPI_Allreduce");
  }
};

class MpiReduceScatter final : public MpiCollective {
 public:
  using MpiCollective::MpiCollective;
  void run(const CollArgs& a) override {
    const auto counts = buffer_counts(Collective::reducescatter, a.count, size_);
    check_mpi(MPI_Reduce_scatter_block(a.send.bytes.data(), a.recv.bytes.data(),
                                       checked_count(counts.block), mpi_datatype(a.dtype),
                                       mpi_op(a.op), comm_),
              "MPI_Reduce_scatter_block");
  }
};

class MpiAllgather final : public MpiCollective {
 public:
  using MpiCollective::MpiCollective;
  void run(const CollArgs& a) override {
    const auto counts = buffer_counts(Collective::allgather, a.count, size_);
    const std::size_t es = dtype_size(a.dtype);
    // In place (MPI_IN_PLACE): our input already sits at block `rank` of the output.
    const bool in_place = a.send.bytes.data() != nullptr && a.recv.bytes.data() != nullptr &&
                          a.send.bytes.data() >= a.recv.bytes.data() &&
                          a.send.bytes.data() < a.recv.bytes.data() + counts.recv * es;
    const void* send = in_place ? MPI_IN_PLACE : static_cast<const void*>(a.send.bytes.data());
    check_mpi(
        MPI_Allgather(send, checked_count(counts.block), mpi_datatype(a.dtype), a.recv.bytes.data(),
                      checked_count(counts.block), mpi_datatype(a.dtype), comm_),
        "MPI_Allgather");
  }
};

}  // namespace

std::unique_ptr<Algorithm> make_mpi_allreduce(const AlgorithmContext& ctx) {
  return std::make_unique<MpiAllreduce>(ctx);
}
std::unique_ptr<Algorithm> make_mpi_reducescatter(const AlgorithmContext& ctx) {
  return std::make_unique<MpiReduceScatter>(ctx);
}
std::unique_ptr<Algorithm> make_mpi_allgather(const AlgorithmContext& ctx) {
  return std::make_unique<MpiAllgather>(ctx);
}

}  // namespace fb
