#include <gtest/gtest.h>

#include <vector>

#include "collectives/reduce_kernels.hpp"

namespace fb {
namespace {

template <typename T>
void check_sum(DType dtype) {
  const auto k = reduce_kernels(dtype, ReduceOp::sum);
  for (std::size_t n : {0UL, 1UL, 7UL, 64UL, 1001UL}) {
    std::vector<T> a(n), b(n), c(n), out(n, T{-1});
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = static_cast<T>(i % 13);
      b[i] = static_cast<T>(0.5 * static_cast<double>(i % 5));
      c[i] = static_cast<T>(-static_cast<double>(i % 3));
    }
    k.combine(out.data(), a.data(), b.data(), n);
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(out[i], a[i] + b[i]) << i;
    k.combine3(out.data(), a.data(), b.data(), c.data(), n);
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(out[i], a[i] + b[i] + c[i]) << i;
    // In place: dst aliases the first input.
    std::vector<T> acc = a;
    k.combine(acc.data(), acc.data(), b.data(), n);
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(acc[i], a[i] + b[i]) << i;
  }
}

TEST(Kernels, SumFloat32) {
  check_sum<float>(DType::float32);
}
TEST(Kernels, SumFloat64) {
  check_sum<double>(DType::float64);
}

}  // namespace
}  // namespace fb
