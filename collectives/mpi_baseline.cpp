// Baseline: the MPI library's own collective, driven and timed by the same harness as our
// algorithms. It brings its own communication, so it ignores --transport.
#include "collectives/mpi_baseline.hpp"

#include <mpi.h>

#include <climits>
#include <stdexcept>

#include "transports/mpi_bootstrap.hpp"

namespace fb {

namespace {

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::float32:
      return MPI_FLOAT;
    case DType::float64:
      return MPI_DOUBLE;
  }
  throw std::invalid_argument("mpi baseline: unsupported dtype");
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return MPI_SUM;
  }
  throw std::invalid_argument("mpi baseline: unsupported op");
}

class MpiAllreduce final : public Algorithm {
 public:
  explicit MpiAllreduce(const MpiBootstrap& bootstrap) {
    check_mpi(MPI_Comm_dup(bootstrap.comm(), &comm_), "MPI_Comm_dup");
  }
  ~MpiAllreduce() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }
  MpiAllreduce(const MpiAllreduce&) = delete;
  MpiAllreduce& operator=(const MpiAllreduce&) = delete;

  void run(const CollArgs& args) override {
    if (args.count > static_cast<std::size_t>(INT_MAX)) {
      throw std::invalid_argument("mpi baseline: count exceeds INT_MAX elements");
    }
    const bool in_place = args.send.bytes.data() == args.recv.bytes.data();
    const void* send = in_place ? MPI_IN_PLACE : static_cast<const void*>(args.send.bytes.data());
    check_mpi(MPI_Allreduce(send, args.recv.bytes.data(), static_cast<int>(args.count),
                            mpi_type(args.dtype), mpi_op(args.op), comm_),
              "MPI_Allreduce");
  }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

}  // namespace

std::unique_ptr<Algorithm> make_mpi_allreduce(const AlgorithmContext& ctx) {
  const auto* mpi = dynamic_cast<const MpiBootstrap*>(&ctx.bootstrap);
  if (mpi == nullptr) throw std::invalid_argument("mpi baseline needs the MPI bootstrap");
  return std::make_unique<MpiAllreduce>(*mpi);
}

}  // namespace fb
