// MPI-backed bootstrap: ranks launched by mpirun or srun. MpiSession owns MPI's lifetime.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>

#include "core/bootstrap.hpp"

namespace fb {

// Initialises MPI on construction (if nobody has) and finalises it on destruction.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool owns_ = false;
};

// Ends every rank of the job with `exit_code` (MPI_Abort) when MPI is running; returns
// otherwise. For a rank that failed while the others may wait for it.
void abort_job(int exit_code);

// Throws std::runtime_error naming `call` when an MPI call did not return MPI_SUCCESS.
void check_mpi(int rc, const char* call);

// The MPI library's self-description (MPI_Get_library_version), first line only.
std::string mpi_library_version();

class MpiBootstrap final : public Bootstrap {
 public:
  explicit MpiBootstrap(MPI_Comm parent = MPI_COMM_WORLD);
  ~MpiBootstrap() override;
  MpiBootstrap(const MpiBootstrap&) = delete;
  MpiBootstrap& operator=(const MpiBootstrap&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allgather(std::span<const std::byte> mine, std::span<std::byte> all) override;
  void broadcast(std::span<std::byte> data, int root) override;
  void barrier() override;
  void barrier_progressing(const std::function<void()>& progress) override;
  void allreduce_max(std::span<double> values) override;
  void allreduce_sum(std::span<std::int64_t> values) override;
  void send(std::span<const std::byte> data, int peer) override;
  void receive(std::span<std::byte> data, int peer) override;
  // A communicator of the members (MPI_Comm_split), duplicated by the new bootstrap.
  std::unique_ptr<Bootstrap> split(bool member) override;
  // MPI_Ibarrier, tested every millisecond.
  void barrier_sleeping() override;

  // The communicator the bootstrap owns (a duplicate of the parent). MPI-based transports
  // and baselines duplicate it again so their traffic never mixes with ours.
  MPI_Comm comm() const { return comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace fb
