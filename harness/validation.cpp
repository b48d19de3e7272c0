#include "harness/validation.hpp"

#include <limits>

namespace fb {

namespace {

inline std::int64_t a_of(std::size_t i) {
  return static_cast<std::int64_t>(i % 17) - 8;
}
inline std::int64_t c_of(std::size_t i) {
  return static_cast<std::int64_t>((i / 3) % 7) - 3;
}
inline std::int64_t b_of(int r) {
  return r % 3 - 1;
}

std::int64_t b_sum(int n) {
  std::int64_t sum = 0;
  for (int r = 0; r < n % 3; ++r)
    sum += b_of(r);  // full cycles of (-1, 0, 1) add nothing
  return sum;
}

template <typename T>
void fill(T* data, std::size_t count, int rank) {
  const std::int64_t b = b_of(rank);
  for (std::size_t i = 0; i < count; ++i)
    data[i] = static_cast<T>(a_of(i) + b * c_of(i));
}

template <typename T>
std::int64_t mismatches(const T* data, std::size_t count, int n) {
  const std::int64_t big_b = b_sum(n);
  std::int64_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto expected = static_cast<T>(n * a_of(i) + big_b * c_of(i));
    wrong += data[i] == expected ? 0 : 1;  // NaN compares unequal: counted
  }
  return wrong;
}

}  // namespace

void fill_input(std::span<std::byte> buffer, std::size_t count, DType dtype, int rank) {
  switch (dtype) {
    case DType::float32:
      fill(reinterpret_cast<float*>(buffer.data()), count, rank);
      break;
    case DType::float64:
      fill(reinterpret_cast<double*>(buffer.data()), count, rank);
      break;
  }
}

void poison_output(std::span<std::byte> buffer, std::size_t count, DType dtype) {
  switch (dtype) {
    case DType::float32: {
      auto* p = reinterpret_cast<float*>(buffer.data());
      for (std::size_t i = 0; i < count; ++i)
        p[i] = std::numeric_limits<float>::quiet_NaN();
      break;
    }
    case DType::float64: {
      auto* p = reinterpret_cast<double*>(buffer.data());
      for (std::size_t i = 0; i < count; ++i)
        p[i] = std::numeric_limits<double>::quiet_NaN();
      break;
    }
  }
}

std::int64_t count_allreduce_mismatches(std::span<const std::byte> result, std::size_t count,
                                        DType dtype, int n_ranks) {
  switch (dtype) {
    case DType::float32:
      return mismatches(reinterpret_cast<const float*>(result.data()), count, n_ranks);
    case DType::float64:
      return mismatches(reinterpret_cast<const double*>(result.data()), count, n_ranks);
  }
  return static_cast<std::int64_t>(count);
}

}  // namespace fb
