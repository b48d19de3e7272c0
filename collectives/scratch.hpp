// Scratch memory registered with a transport, cached across calls and grown on demand (never
// shrunk): the space an algorithm receives partial results or packs blocks into.
#pragma once

#include <cstddef>
#include <memory>

#include "collectives/algorithm.hpp"
#include "collectives/aligned_buffer.hpp"
#include "transports/transport.hpp"

namespace fb {

class RegisteredScratch {
 public:
  explicit RegisteredScratch(Transport& transport, std::size_t bytes = 0) : transport_(transport) {
    reserve(bytes);
  }

  // The first `bytes` bytes, registered; regrows (and re-registers) when they do not fit.
  Buffer reserve(std::size_t bytes) {
    if (memory_.size() < bytes || (region_ == nullptr && bytes > 0)) {
      region_.reset();  // deregister before the memory goes
      memory_ = AlignedBuffer(bytes);
      region_ = transport_.register_memory(memory_.span());
    }
    return {memory_.span().first(bytes), region_.get()};
  }

  std::byte* data() const { return memory_.data(); }
  const MemoryRegion& region() const { return *region_; }
  std::size_t size() const { return memory_.size(); }

 private:
  Transport& transport_;
  AlignedBuffer memory_;
  std::unique_ptr<MemoryRegion> region_;
};

}  // namespace fb
