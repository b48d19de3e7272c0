// MemorySteps (core/memory_steps.hpp) on host memory that behave as a device's do: every
// copy and reduction is queued and happens only at sync(), in order. An algorithm that sends
// bytes it wrote, reuses a slot, or returns without sync() then gives wrong results (or
// leaves steps pending), as it would on a GPU, which the in-process world checks for every
// algorithm. Each step's pointers must lie in the caller's buffers (adopt()) or in memory the
// steps allocated: host scratch handed to a device would fail there, and fails here.
#pragma once

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/reduce_kernels.hpp"
#include "core/memory_steps.hpp"

namespace fb {

class DeferredSteps final : public MemorySteps {
 public:
  void adopt(std::span<std::byte> bytes) { ranges_->push_back(bytes); }

  std::string_view name() const override { return "deferred host steps"; }

  Allocation allocate(std::size_t bytes) override {
    const std::size_t rounded = (bytes + 255) / 256 * 256;
    auto* p = static_cast<std::byte*>(std::aligned_alloc(256, rounded));
    if (p == nullptr) throw std::bad_alloc();
    ranges_->emplace_back(p, bytes);
    ++allocations_;
    // The ranges are shared with the deleter: scratch may outlive the steps that made it.
    return Allocation(p, [ranges = ranges_](std::byte* q) {
      std::erase_if(*ranges, [q](const std::span<std::byte>& r) { return r.data() == q; });
      std::free(q);  // NOLINT(cppcoreguidelines-no-malloc): pairs with aligned_alloc
    });
  }

  void copy(std::byte* dst, const std::byte* src, std::size_t bytes) override {
    check(dst, bytes, "copy destination");
    check(src, bytes, "copy source");
    queue_.emplace_back([=] { std::memmove(dst, src, bytes); });
  }
  void combine(DType dtype, ReduceOp op, std::byte* dst, const std::byte* a, const std::byte* b,
               std::size_t elems) override {
    const std::size_t bytes = elems * dtype_size(dtype);
    check(dst, bytes, "combine output");
    check(a, bytes, "combine input");
    check(b, bytes, "combine input");
    const auto kernels = reduce_kernels(dtype, op);
    queue_.emplace_back([=] { kernels.combine(dst, a, b, elems); });
  }
  void combine3(DType dtype, ReduceOp op, std::byte* dst, const std::byte* a, const std::byte* b,
                const std::byte* c, std::size_t elems) override {
    const std::size_t bytes = elems * dtype_size(dtype);
    check(dst, bytes, "combine3 output");
    check(a, bytes, "combine3 input");
    check(b, bytes, "combine3 input");
    check(c, bytes, "combine3 input");
    const auto kernels = reduce_kernels(dtype, op);
    queue_.emplace_back([=] { kernels.combine3(dst, a, b, c, elems); });
  }
  void finalize(DType dtype, ReduceOp op, std::byte* data, std::size_t elems,
                int n_ranks) override {
    check(data, elems * dtype_size(dtype), "finalize");
    const auto kernels = reduce_kernels(dtype, op);
    if (kernels.finalize == nullptr) return;
    queue_.emplace_back([=] { kernels.finalize(data, elems, n_ranks); });
  }
  void sync() override {
    for (auto& step : queue_)
      step();
    queue_.clear();
    ++syncs_;
  }

  std::size_t pending() const { return queue_.size(); }
  std::size_t syncs() const { return syncs_; }
  std::size_t allocations() const { return allocations_; }

 private:
  void check(const std::byte* p, std::size_t bytes, const char* what) const {
    if (bytes == 0) return;
    for (const auto& r : *ranges_) {
      if (p >= r.data() && p + bytes <= r.data() + r.size()) return;
    }
    throw std::logic_error(std::string("deferred steps: ") + what + " (" + std::to_string(bytes) +
                           " bytes) is outside the call's memory and the steps' own scratch");
  }

  std::shared_ptr<std::vector<std::span<std::byte>>> ranges_ =
      std::make_shared<std::vector<std::span<std::byte>>>();
  std::vector<std::function<void()>> queue_;
  std::size_t syncs_ = 0;
  std::size_t allocations_ = 0;
};

}  // namespace fb
