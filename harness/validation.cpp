#include "harness/validation.hpp"

#include <cstring>
#include <stdexcept>

#include "collectives/half.hpp"

namespace fb {

namespace {

// Ranks beyond these give zeros for sum/avg, so half-precision partial sums stay exact
// (|partial| <= 2 * limit: 1024 < 2^11 for float16, 128 < 2^8 for bfloat16).
constexpr int kFloat16Ranks = 512;
constexpr int kBfloat16Ranks = 64;
constexpr int kMinMaxSpread = 64;

bool small_range(DType t) {
  return t == DType::float16 || t == DType::bfloat16 || dtype_size(t) == 1;
}

int contributing_ranks(DType t, int n) {
  if (t == DType::float16) return n < kFloat16Ranks ? n : kFloat16Ranks;
  if (t == DType::bfloat16) return n < kBfloat16Ranks ? n : kBfloat16Ranks;
  return n;
}

// Sum/avg pattern pieces.
std::int64_t sum_a(DType t, std::size_t i) {
  const bool half = t == DType::float16 || t == DType::bfloat16;
  if (!is_signed(t)) return static_cast<std::int64_t>(i % 9);
  return half ? static_cast<std::int64_t>(i % 3) - 1 : static_cast<std::int64_t>(i % 17) - 8;
}
std::int64_t sum_c(DType t, std::size_t i) {
  const bool half = t == DType::float16 || t == DType::bfloat16;
  if (!is_signed(t)) return static_cast<std::int64_t>((i / 5) % 4);
  return half ? static_cast<std::int64_t>((i / 5) % 3) - 1
              : static_cast<std::int64_t>((i / 5) % 7) - 3;
}
std::int64_t sum_b(DType t, int r) {
  return is_signed(t) ? r % 3 - 1 : r % 2;
}
std::int64_t sum_b_total(DType t, int m) {
  if (!is_signed(t)) return m / 2;
  std::int64_t total = 0;
  for (int r = 0; r < m % 3; ++r)
    total += sum_b(t, r);  // full cycles add nothing
  return total;
}

std::int64_t minmax_base(DType t, std::size_t i) {
  return is_signed(t) ? static_cast<std::int64_t>(i % 17) - 8 : static_cast<std::int64_t>(i % 17);
}

// Data-movement pattern: distinct-looking values in a range every type holds exactly.
std::int64_t moved_value(DType t, int rank, std::size_t i) {
  std::uint64_t h = (static_cast<std::uint64_t>(rank) + 1) * 0x9E3779B97F4A7C15ULL ^
                    (static_cast<std::uint64_t>(i) + 0x632BE59BD9B4E019ULL) * 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 29;
  const std::uint64_t range = small_range(t) ? 128 : 2000;
  const auto v = static_cast<std::int64_t>(h % range);
  return is_signed(t) ? v - static_cast<std::int64_t>(range / 2) : v;
}

std::int64_t input_value(const CheckSpec& s, int rank, std::size_t i) {
  if (!is_reduction(s.collective)) return moved_value(s.dtype, rank, i);
  const int n = s.n_ranks;
  switch (s.op) {
    case ReduceOp::sum:
    case ReduceOp::avg:
      if (rank >= contributing_ranks(s.dtype, n)) return 0;
      return sum_a(s.dtype, i) + sum_b(s.dtype, rank) * sum_c(s.dtype, i);
    case ReduceOp::prod:
      if (static_cast<std::size_t>(rank) == i % static_cast<std::size_t>(n)) return 2;
      if (is_signed(s.dtype) && n > 1 &&
          static_cast<std::size_t>(rank) == (i + 1) % static_cast<std::size_t>(n)) {
        return -1;
      }
      return 1;
    case ReduceOp::min:
    case ReduceOp::max: {
      const int m = n < kMinMaxSpread ? n : kMinMaxSpread;
      return minmax_base(s.dtype, i) +
             static_cast<std::int64_t>((static_cast<std::size_t>(rank) + i) %
                                       static_cast<std::size_t>(m));
    }
  }
  return 0;
}

// Stores integer `v` as element type T (integers wrap, as C++20 defines narrowing).
template <typename T>
T from_int(std::int64_t v) {
  if constexpr (std::is_same_v<T, float16_t>) {
    return float_to_half(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, bfloat16_t>) {
    return float_to_bf16(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

// The exact reduced value of element i (reduction collectives only).
template <typename T>
T reduced_value(const CheckSpec& s, std::size_t i) {
  const int n = s.n_ranks;
  switch (s.op) {
    case ReduceOp::sum:
    case ReduceOp::avg: {
      const int m = contributing_ranks(s.dtype, n);
      const std::int64_t sum = m * sum_a(s.dtype, i) + sum_b_total(s.dtype, m) * sum_c(s.dtype, i);
      const T total = from_int<T>(sum);
      if (s.op == ReduceOp::sum) return total;
      if constexpr (std::is_same_v<T, float16_t>) {
        return float_to_half(half_to_float(total) / static_cast<float>(n));
      } else if constexpr (std::is_same_v<T, bfloat16_t>) {
        return float_to_bf16(bf16_to_float(total) / static_cast<float>(n));
      } else if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(total / static_cast<T>(n));
      } else if constexpr (std::is_signed_v<T>) {
        return static_cast<T>(static_cast<std::int64_t>(total) / n);
      } else {
        return static_cast<T>(static_cast<std::uint64_t>(total) / static_cast<std::uint64_t>(n));
      }
    }
    case ReduceOp::prod:
      return from_int<T>(is_signed(s.dtype) && n > 1 ? -2 : 2);
    case ReduceOp::min:
      return from_int<T>(minmax_base(s.dtype, i));
    case ReduceOp::max: {
      const int m = n < kMinMaxSpread ? n : kMinMaxSpread;
      return from_int<T>(minmax_base(s.dtype, i) + m - 1);
    }
  }
  return T{};
}

// Results must match bit for bit (a NaN never equals anything, -0 is not +0).
template <typename T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;  // NOLINT(bugprone-suspicious-memory-comparison)
}

template <typename T>
void fill_typed(const CheckSpec& s, std::span<std::byte> send) {
  const auto counts = buffer_counts(s.collective, s.total, s.n_ranks);
  if (send.size() < counts.send * sizeof(T))
    throw std::invalid_argument("fill_send: buffer too small");
  auto* out = reinterpret_cast<T*>(send.data());
  for (std::size_t i = 0; i < counts.send; ++i)
    out[i] = from_int<T>(input_value(s, s.rank, i));
}

template <typename T>
std::int64_t check_typed(const CheckSpec& s, std::span<const std::byte> recv) {
  const auto counts = buffer_counts(s.collective, s.total, s.n_ranks);
  if (recv.size() < counts.recv * sizeof(T)) throw std::invalid_argument("check: buffer too small");
  const auto* got = reinterpret_cast<const T*>(recv.data());
  const auto n = static_cast<std::size_t>(s.n_ranks);
  const auto me = static_cast<std::size_t>(s.rank);
  const std::size_t block = counts.block;
  std::int64_t wrong = 0;
  auto expect = [&](std::size_t k, const T& want) { wrong += same_bits(got[k], want) ? 0 : 1; };
  switch (s.collective) {
    case Collective::allreduce:
      for (std::size_t i = 0; i < counts.recv; ++i)
        expect(i, reduced_value<T>(s, i));
      break;
    case Collective::reduce:
      if (s.rank != s.root) break;
      for (std::size_t i = 0; i < counts.recv; ++i)
        expect(i, reduced_value<T>(s, i));
      break;
    case Collective::reducescatter:
      for (std::size_t k = 0; k < block; ++k)
        expect(k, reduced_value<T>(s, me * block + k));
      break;
    case Collective::allgather:
      for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t k = 0; k < block; ++k) {
          expect(j * block + k, from_int<T>(moved_value(s.dtype, static_cast<int>(j), k)));
        }
      }
      break;
    case Collective::broadcast:
      for (std::size_t i = 0; i < counts.recv; ++i)
        expect(i, from_int<T>(moved_value(s.dtype, s.root, i)));
      break;
    case Collective::alltoall:
      for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t k = 0; k < block; ++k) {
          expect(j * block + k,
                 from_int<T>(moved_value(s.dtype, static_cast<int>(j), me * block + k)));
        }
      }
      break;
    case Collective::sendrecv: {
      const int left = (s.rank + s.n_ranks - 1) % s.n_ranks;
      for (std::size_t i = 0; i < counts.recv; ++i)
        expect(i, from_int<T>(moved_value(s.dtype, left, i)));
      break;
    }
  }
  return wrong;
}

template <typename F>
auto dispatch(DType t, F&& f) {
  switch (t) {
    case DType::int8:
      return f(std::int8_t{});
    case DType::uint8:
      return f(std::uint8_t{});
    case DType::int32:
      return f(std::int32_t{});
    case DType::uint32:
      return f(std::uint32_t{});
    case DType::int64:
      return f(std::int64_t{});
    case DType::uint64:
      return f(std::uint64_t{});
    case DType::float16:
      return f(float16_t{});
    case DType::bfloat16:
      return f(bfloat16_t{});
    case DType::float32:
      return f(float{});
    case DType::float64:
      return f(double{});
  }
  throw std::invalid_argument("validation: unknown dtype");
}

}  // namespace

void fill_send(const CheckSpec& spec, std::span<std::byte> send) {
  dispatch(spec.dtype, [&](auto tag) { fill_typed<decltype(tag)>(spec, send); });
}

void poison(std::span<std::byte> buffer, std::size_t count, DType dtype) {
  const std::size_t bytes = count * dtype_size(dtype);
  if (buffer.size() < bytes) throw std::invalid_argument("poison: buffer too small");
  if (is_integer(dtype)) {
    std::memset(buffer.data(), 0xA5, bytes);  // no pattern value is 0xA5A5...
  } else {
    std::memset(buffer.data(), 0xFF, bytes);  // all-ones: a NaN in every float format
  }
}

std::int64_t count_mismatches(const CheckSpec& spec, std::span<const std::byte> recv) {
  return dispatch(spec.dtype, [&](auto tag) { return check_typed<decltype(tag)>(spec, recv); });
}

}  // namespace fb
