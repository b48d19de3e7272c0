// How the CUDA reduction kernels walk a buffer, and the element functions they apply. What
// they compute per element is core/element_ops.hpp, shared with the CPU kernels
// (collectives/reduce_kernels.hpp), so the semantics are the CPU kernels', to the bit. This
// header is compiled twice: by nvcc into the kernels (gpu/reduce_kernels.cu) and by the host
// compiler into the unit tests, which run the same walks on the CPU against the CPU kernels.
// One difference no test can pin down: a NaN produced by GPU arithmetic is the canonical NaN
// (0x7fffffff), where the CPU keeps the payload of an input NaN, so NaN results match as NaN,
// not bit for bit. Min and max move their operands unchanged and keep payloads on both.
//
// The kernels must be compiled without contraction into FMA (nvcc --fmad=false), without
// flushing subnormals (--ftz=false) and with IEEE division (--prec-div=true); gpu/CMakeLists.txt
// sets all three.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/element_ops.hpp"

#if defined(__CUDACC__)
#define FB_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define FB_HOST_DEVICE inline
#endif

namespace fb::gpu::element {

// The elements, the ops and avg's division are the CPU kernels' own (core/element_ops.hpp).
using fb::element::BFloat16;
using fb::element::DivideBy;
using fb::element::Float16;
using fb::element::Max;
using fb::element::Min;
using fb::element::Native;
using fb::element::Prod;
using fb::element::Sum;

// ---- Element functions: stored inputs to one stored result. ----

template <typename E, typename Op>
struct Combine2 {
  using Storage = typename E::Storage;
  static constexpr int kInputs = 2;
  FB_HOST_DEVICE Storage operator()(Storage x, Storage y) const {
    return E::store(Op::apply(E::load(x), E::load(y)));
  }
};

template <typename E, typename Op>
struct Combine3 {
  using Storage = typename E::Storage;
  static constexpr int kInputs = 3;
  FB_HOST_DEVICE Storage operator()(Storage x, Storage y, Storage z) const {
    return E::store(Op::apply(Op::apply(E::load(x), E::load(y)), E::load(z)));
  }
};

template <typename E>
struct Average {
  using Storage = typename E::Storage;
  static constexpr int kInputs = 1;
  int n_ranks;
  FB_HOST_DEVICE Storage operator()(Storage x) const {
    return E::store(DivideBy<typename E::Value>(n_ranks)(E::load(x)));
  }
};

// ---- Walking a buffer. ----

// Bulk loads and stores move 16 bytes (one 128-bit access per thread and stream).
constexpr std::size_t kVectorBytes = 16;

template <typename S>
struct alignas(kVectorBytes) Pack {
  static constexpr std::size_t kCount = kVectorBytes / sizeof(S);
  S e[kCount];
};

// The pointers address elements [0, count) of each stream. Elements [0, head) and
// [head + vectors * Pack::kCount, count) go one at a time; the middle goes as whole packs,
// every stream 16-byte aligned there. When the streams are not equally misaligned no pack
// can be aligned in all of them and everything goes one element at a time (head == count).
struct VectorSplit {
  std::size_t head = 0;
  std::size_t vectors = 0;
};

inline VectorSplit split_for_vectors(const std::uintptr_t* addresses, int n_addresses,
                                     std::size_t count, std::size_t element_bytes) {
  const std::uintptr_t misalignment = addresses[0] % kVectorBytes;
  for (int i = 1; i < n_addresses; ++i) {
    if (addresses[i] % kVectorBytes != misalignment) return {count, 0};
  }
  const std::size_t to_boundary = (kVectorBytes - misalignment) % kVectorBytes;
  if (to_boundary % element_bytes != 0) return {count, 0};
  const std::size_t head =
      to_boundary / element_bytes < count ? to_boundary / element_bytes : count;
  return {head, (count - head) / (kVectorBytes / element_bytes)};
}

// One pass of an element-wise kernel: dst[i] = fn(in[0][i], ...), for the elements of
// `thread` in a grid of `threads` (grid-stride loops). dst may equal an input: every thread
// reads its elements before writing them.
template <typename S>
struct Streams {
  S* dst = nullptr;
  const S* in[3] = {nullptr, nullptr, nullptr};
  std::size_t count = 0;
  VectorSplit split;
};

template <typename S>
FB_HOST_DEVICE Pack<S> load_pack(const S* p) {
  Pack<S> out{};
#if defined(__CUDA_ARCH__)
  const uint4 v = *reinterpret_cast<const uint4*>(p);  // one 128-bit load
  static_assert(sizeof v == sizeof out);
  memcpy(&out, &v, sizeof out);
#else
  std::memcpy(&out, p, sizeof out);
#endif
  return out;
}

template <typename S>
FB_HOST_DEVICE void store_pack(S* p, const Pack<S>& pack) {
#if defined(__CUDA_ARCH__)
  uint4 v;
  memcpy(&v, &pack, sizeof v);
  *reinterpret_cast<uint4*>(p) = v;  // one 128-bit store
#else
  std::memcpy(p, &pack, sizeof pack);
#endif
}

template <typename Fn, typename S>
FB_HOST_DEVICE S apply_at(const Fn& fn, const Streams<S>& s, std::size_t i) {
  if constexpr (Fn::kInputs == 1) {
    return fn(s.in[0][i]);
  } else if constexpr (Fn::kInputs == 2) {
    return fn(s.in[0][i], s.in[1][i]);
  } else {
    return fn(s.in[0][i], s.in[1][i], s.in[2][i]);
  }
}

template <typename Fn, typename S>
FB_HOST_DEVICE void elementwise(const Fn& fn, const Streams<S>& s, std::size_t thread,
                                std::size_t threads) {
  constexpr std::size_t kPer = Pack<S>::kCount;
  const std::size_t head = s.split.head;
  for (std::size_t v = thread; v < s.split.vectors; v += threads) {
    const std::size_t i = head + v * kPer;
    const Pack<S> x = load_pack(s.in[0] + i);
    Pack<S> r{};
    if constexpr (Fn::kInputs == 1) {
      for (std::size_t j = 0; j < kPer; ++j)
        r.e[j] = fn(x.e[j]);
    } else if constexpr (Fn::kInputs == 2) {
      const Pack<S> y = load_pack(s.in[1] + i);
      for (std::size_t j = 0; j < kPer; ++j)
        r.e[j] = fn(x.e[j], y.e[j]);
    } else {
      const Pack<S> y = load_pack(s.in[1] + i);
      const Pack<S> z = load_pack(s.in[2] + i);
      for (std::size_t j = 0; j < kPer; ++j)
        r.e[j] = fn(x.e[j], y.e[j], z.e[j]);
    }
    store_pack(s.dst + i, r);
  }
  // The head and the tail, numbered as one range of single elements.
  const std::size_t vector_end = head + s.split.vectors * kPer;
  const std::size_t singles = head + (s.count - vector_end);
  for (std::size_t k = thread; k < singles; k += threads) {
    const std::size_t i = k < head ? k : vector_end + (k - head);
    s.dst[i] = apply_at(fn, s, i);
  }
}

}  // namespace fb::gpu::element
