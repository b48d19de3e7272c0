// MPI point-to-point transport: MPI_Isend / MPI_Irecv on a private communicator.
#pragma once

#include <mpi.h>

#include <vector>

#include "transports/mpi_bootstrap.hpp"
#include "transports/transport.hpp"

namespace fb {

class MpiTransport final : public Transport {
 public:
  explicit MpiTransport(const MpiBootstrap& bootstrap);
  ~MpiTransport() override;
  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;

  std::string_view name() const override { return "mpi"; }
  TransportCapabilities capabilities() const override { return {}; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) override;
  Request isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override;
  Request irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override;
  void progress() override;
  bool test(Request& req) override;

 private:
  std::size_t acquire_slot();
  int fold_tag(Tag tag) const { return static_cast<int>(tag & tag_mask_); }
  void check_args(int peer, const MemoryRegion& region, std::size_t offset, std::size_t bytes,
                  const char* op) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  Tag tag_mask_ = 0;
  std::vector<MPI_Request> slots_;
  std::vector<std::size_t> free_slots_;
};

}  // namespace fb
