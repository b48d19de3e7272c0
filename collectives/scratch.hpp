// Scratch memory registered with a transport, cached across calls and grown on demand (never
// shrunk): the space an algorithm receives partial results or packs blocks into. It lives in
// the call's memory: host memory, or, for a call on device memory (CollArgs::memory), memory
// its MemorySteps allocate, so the device's copies and reductions can reach it.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "collectives/algorithm.hpp"
#include "collectives/aligned_buffer.hpp"
#include "core/memory_steps.hpp"
#include "transports/transport.hpp"

namespace fb {

class RegisteredScratch {
 public:
  explicit RegisteredScratch(Transport& transport, std::size_t bytes = 0) : transport_(transport) {
    reserve(bytes);
  }

  // The first `bytes` bytes, registered, in `memory` (null: host memory); regrows (and
  // re-registers) when they do not fit or the memory changes.
  Buffer reserve(std::size_t bytes, MemorySteps* memory = nullptr) {
    if (size_ < bytes || memory != memory_ || (region_ == nullptr && bytes > 0)) {
      region_.reset();  // deregister before the memory goes
      device_.reset();
      host_ = AlignedBuffer();
      memory_ = memory;
      if (memory != nullptr && bytes > 0) {
        device_ = memory->allocate(bytes);
        data_ = device_.get();
      } else {
        host_ = AlignedBuffer(bytes);
        data_ = host_.data();
      }
      size_ = bytes;
      const std::span bytes_here(data_, size_);
      region_ = memory_ != nullptr ? transport_.register_device_memory(bytes_here)
                                   : transport_.register_memory(bytes_here);
    }
    return {std::span(data_, bytes), region_.get()};
  }
  // The scratch for a call: in the call's memory.
  Buffer reserve(std::size_t bytes, const CollArgs& args) { return reserve(bytes, args.memory); }

  std::byte* data() const { return data_; }
  const MemoryRegion& region() const { return *region_; }
  std::size_t size() const { return size_; }

 private:
  Transport& transport_;
  MemorySteps* memory_ = nullptr;
  AlignedBuffer host_;
  MemorySteps::Allocation device_;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::unique_ptr<MemoryRegion> region_;
};

}  // namespace fb
