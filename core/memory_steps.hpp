// The work an algorithm does to buffer bytes itself, apart from what a transport moves:
// copies and reductions. CollArgs::memory names who does it:
//
//   null         host memory: std::memcpy and the CPU kernels (collectives/reduce_kernels),
//                done when the call returns. The fast path: no virtual call.
//   MemorySteps  memory the CPU must not touch (device memory): each step is enqueued in
//                order (gpu/: CUDA kernels and copies on one stream) and is in memory only
//                after sync(). An algorithm therefore calls sync() before it hands bytes it
//                wrote to a transport (a send of a reduced chunk) and before run() returns;
//                the pipeline's ReduceStep (collectives/pipeline.hpp) carries both.
//
// The in-process test world runs every algorithm with a host implementation that defers
// each step to sync() (tests/unit/deferred_steps.hpp): a missing sync() there gives wrong
// results, as it would on a GPU.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "core/types.hpp"

namespace fb {

class MemorySteps {
 public:
  virtual ~MemorySteps() = default;
  MemorySteps() = default;
  MemorySteps(const MemorySteps&) = delete;
  MemorySteps& operator=(const MemorySteps&) = delete;

  // Memory of this kind the steps work on, freed by the handle's deleter.
  using Allocation = std::unique_ptr<std::byte, std::function<void(std::byte*)>>;

  // What does the work, in words ("cuda stream", ...), for results and errors.
  virtual std::string_view name() const = 0;
  // `bytes` bytes (> 0) of this memory, aligned to at least 256 bytes: an algorithm's
  // scratch (collectives/scratch.hpp), so that the steps can read and write it.
  virtual Allocation allocate(std::size_t bytes) = 0;
  // dst = src, `bytes` bytes; the ranges do not overlap.
  virtual void copy(std::byte* dst, const std::byte* src, std::size_t bytes) = 0;
  // dst = a op b, element-wise; dst may equal a or b.
  virtual void combine(DType dtype, ReduceOp op, std::byte* dst, const std::byte* a,
                       const std::byte* b, std::size_t elems) = 0;
  // dst = (a op b) op c.
  virtual void combine3(DType dtype, ReduceOp op, std::byte* dst, const std::byte* a,
                        const std::byte* b, const std::byte* c, std::size_t elems) = 0;
  // avg: data /= n_ranks, once on the complete sum; nothing for the other ops.
  virtual void finalize(DType dtype, ReduceOp op, std::byte* data, std::size_t elems,
                        int n_ranks) = 0;
  // Returns once every step issued so far is in memory.
  virtual void sync() = 0;
};

}  // namespace fb
