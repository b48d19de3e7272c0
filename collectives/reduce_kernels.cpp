#include "collectives/reduce_kernels.hpp"

#include <stdexcept>
#include <string>

namespace fb {

namespace {

// The loops read their inputs through separate pointers and write one output; GCC
// vectorises them at -O3 (check with -fopt-info-vec-optimized). Aliasing dst with an input
// is allowed because every element is read before it is written.
template <typename T>
[[gnu::always_inline]] inline void sum2(void* dst, const void* a, const void* b, std::size_t n) {
  auto* d = static_cast<T*>(dst);
  const auto* x = static_cast<const T*>(a);
  const auto* y = static_cast<const T*>(b);
  for (std::size_t i = 0; i < n; ++i)
    d[i] = x[i] + y[i];
}

template <typename T>
[[gnu::always_inline]] inline void sum3(void* dst, const void* a, const void* b, const void* c,
                                        std::size_t n) {
  auto* d = static_cast<T*>(dst);
  const auto* x = static_cast<const T*>(a);
  const auto* y = static_cast<const T*>(b);
  const auto* z = static_cast<const T*>(c);
  for (std::size_t i = 0; i < n; ++i)
    d[i] = x[i] + y[i] + z[i];
}

// Each entry point is compiled for AVX-512, AVX2 and baseline x86-64, and the loader picks
// the widest the CPU has (GCC function multiversioning), once, at program start. The
// templates above are inlined into every clone, so each clone vectorises for its target.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define FB_MULTIVERSION [[gnu::target_clones("avx512f", "avx2", "default")]]
#else
#define FB_MULTIVERSION
#endif

FB_MULTIVERSION void sum2_f32(void* d, const void* a, const void* b, std::size_t n) {
  sum2<float>(d, a, b, n);
}
FB_MULTIVERSION void sum2_f64(void* d, const void* a, const void* b, std::size_t n) {
  sum2<double>(d, a, b, n);
}
FB_MULTIVERSION void sum3_f32(void* d, const void* a, const void* b, const void* c, std::size_t n) {
  sum3<float>(d, a, b, c, n);
}
FB_MULTIVERSION void sum3_f64(void* d, const void* a, const void* b, const void* c, std::size_t n) {
  sum3<double>(d, a, b, c, n);
}

}  // namespace

ReduceKernels reduce_kernels(DType dtype, ReduceOp op) {
  if (op == ReduceOp::sum) {
    switch (dtype) {
      case DType::float32:
        return {sum2_f32, sum3_f32};
      case DType::float64:
        return {sum2_f64, sum3_f64};
    }
  }
  throw std::invalid_argument("no reduction kernel for " + std::string(to_string(dtype)) + " " +
                              std::string(to_string(op)));
}

}  // namespace fb
