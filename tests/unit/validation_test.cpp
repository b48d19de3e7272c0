#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "harness/validation.hpp"

namespace fb {
namespace {

// The reference all-reduce: add every rank's input element by element.
template <typename T>
std::vector<T> reference_sum(std::size_t count, DType dtype, int n) {
  std::vector<T> sum(count, T{0});
  AlignedBuffer in(count * sizeof(T) + 1);
  for (int r = 0; r < n; ++r) {
    fill_input(in.span(), count, dtype, r);
    const auto* p = reinterpret_cast<const T*>(in.data());
    for (std::size_t i = 0; i < count; ++i)
      sum[i] += p[i];
  }
  return sum;
}

TEST(Validation, ReferenceSumPassesForEveryRankCount) {
  for (int n = 1; n <= 12; ++n) {
    auto f32 = reference_sum<float>(1001, DType::float32, n);
    EXPECT_EQ(
        count_allreduce_mismatches(std::as_bytes(std::span(f32)), f32.size(), DType::float32, n), 0)
        << n;
    auto f64 = reference_sum<double>(1001, DType::float64, n);
    EXPECT_EQ(
        count_allreduce_mismatches(std::as_bytes(std::span(f64)), f64.size(), DType::float64, n), 0)
        << n;
  }
}

TEST(Validation, InputsDifferAcrossRanksAndIndices) {
  AlignedBuffer a(64 * 4), b(64 * 4);
  fill_input(a.span(), 64, DType::float32, 0);
  fill_input(b.span(), 64, DType::float32, 1);
  const auto* x = reinterpret_cast<const float*>(a.data());
  const auto* y = reinterpret_cast<const float*>(b.data());
  int differ = 0;
  for (int i = 0; i < 64; ++i)
    differ += x[i] != y[i];
  EXPECT_GT(differ, 10);
  EXPECT_NE(x[0], x[1]);
}

TEST(Validation, CountsEveryWrongElement) {
  auto sum = reference_sum<float>(100, DType::float32, 4);
  sum[3] += 1;
  sum[50] = NAN;
  sum[99] = -sum[99] + 0.5f;
  EXPECT_EQ(
      count_allreduce_mismatches(std::as_bytes(std::span(sum)), sum.size(), DType::float32, 4), 3);
  // A result for the wrong rank count is wrong almost everywhere.
  const auto right = reference_sum<double>(100, DType::float64, 5);
  EXPECT_GT(
      count_allreduce_mismatches(std::as_bytes(std::span(right)), right.size(), DType::float64, 4),
      50);
}

TEST(Validation, PoisonedOutputIsAllWrong) {
  AlignedBuffer out(10 * 8);
  poison_output(out.span(), 10, DType::float64);
  EXPECT_EQ(count_allreduce_mismatches(out.span(), 10, DType::float64, 1), 10);
}

}  // namespace
}  // namespace fb
