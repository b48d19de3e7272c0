#include "transports/mpi_transport.hpp"

#include <climits>
#include <string>

#include "transports/error.hpp"

namespace fb {

MpiTransport::MpiTransport(const MpiBootstrap& bootstrap) {
  check_mpi(MPI_Comm_dup(bootstrap.comm(), &comm_), "MPI_Comm_dup");
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  // The largest 2^k - 1 not above MPI_TAG_UB (at least 32767 by the standard).
  int* tag_ub = nullptr;
  int flag = 0;
  check_mpi(MPI_Comm_get_attr(comm_, MPI_TAG_UB, static_cast<void*>(&tag_ub), &flag),
            "MPI_Comm_get_attr(MPI_TAG_UB)");
  const Tag ub = (flag && tag_ub) ? static_cast<Tag>(*tag_ub) : 32767;
  tag_mask_ = 1;
  while (tag_mask_ * 2 + 1 <= ub)
    tag_mask_ = tag_mask_ * 2 + 1;
}

MpiTransport::~MpiTransport() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  for (auto& req : slots_) {
    if (req != MPI_REQUEST_NULL) {
      MPI_Cancel(&req);
      MPI_Request_free(&req);
    }
  }
  MPI_Comm_free(&comm_);
}

std::unique_ptr<MemoryRegion> MpiTransport::register_memory(std::span<std::byte> bytes) {
  return std::make_unique<MemoryRegion>(bytes);  // MPI registers internally as it needs
}

void MpiTransport::check_args(int peer, const MemoryRegion& region, std::size_t offset,
                              std::size_t bytes, const char* op) const {
  if (peer < 0 || peer >= size_) {
    throw TransportError("mpi", peer, op, "peer rank out of range 0.." + std::to_string(size_ - 1));
  }
  if (offset + bytes > region.bytes().size() || bytes > static_cast<std::size_t>(INT_MAX)) {
    throw TransportError("mpi", peer, op,
                         "range [" + std::to_string(offset) + ", +" + std::to_string(bytes) +
                             ") is outside the registered region of " +
                             std::to_string(region.bytes().size()) + " bytes");
  }
}

std::size_t MpiTransport::acquire_slot() {
  if (!free_slots_.empty()) {
    const auto slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  slots_.push_back(MPI_REQUEST_NULL);
  return slots_.size() - 1;
}

Request MpiTransport::isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                            std::size_t bytes) {
  check_args(peer, region, offset, bytes, "send");
  const auto slot = acquire_slot();
  const int rc = MPI_Isend(region.bytes().data() + offset, static_cast<int>(bytes), MPI_BYTE, peer,
                           fold_tag(tag), comm_, &slots_[slot]);
  if (rc != MPI_SUCCESS) {
    free_slots_.push_back(slot);
    throw TransportError("mpi", peer, "send", "MPI_Isend returned " + std::to_string(rc));
  }
  return Request{slot, bytes, peer, OpKind::send, false};
}

Request MpiTransport::irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                            std::size_t bytes) {
  check_args(peer, region, offset, bytes, "receive");
  const auto slot = acquire_slot();
  const int rc = MPI_Irecv(region.bytes().data() + offset, static_cast<int>(bytes), MPI_BYTE, peer,
                           fold_tag(tag), comm_, &slots_[slot]);
  if (rc != MPI_SUCCESS) {
    free_slots_.push_back(slot);
    throw TransportError("mpi", peer, "receive", "MPI_Irecv returned " + std::to_string(rc));
  }
  return Request{slot, bytes, peer, OpKind::recv, false};
}

void MpiTransport::progress() {
  // MPI_Test, which test() calls, already drives the MPI library's progress engine.
}

bool MpiTransport::test(Request& req) {
  if (req.done) return true;
  int flag = 0;
  MPI_Status status;
  const int rc = MPI_Test(&slots_[req.handle], &flag, &status);
  if (rc != MPI_SUCCESS) {
    throw TransportError("mpi", req.peer, req.kind == OpKind::send ? "send" : "receive",
                         "MPI_Test returned " + std::to_string(rc));
  }
  if (!flag) return false;
  if (req.kind == OpKind::recv) {
    int received = 0;
    MPI_Get_count(&status, MPI_BYTE, &received);
    if (static_cast<std::size_t>(received) != req.bytes) {
      free_slots_.push_back(req.handle);
      req.done = true;
      throw TransportError(
          "mpi", req.peer, "receive",
          "expected " + std::to_string(req.bytes) + " bytes, got " + std::to_string(received));
    }
  }
  free_slots_.push_back(req.handle);
  req.done = true;
  return true;
}

}  // namespace fb
