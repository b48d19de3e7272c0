// Reduction kernels against a scalar reference written here, independently of the kernels.
// (The scalar float16/bfloat16 conversions of collectives/half.hpp: half_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "collectives/half.hpp"
#include "collectives/reduce_kernels.hpp"
#include "collectives/reduce_kernels_half.hpp"
#include "tests/unit/param_printers.hpp"

namespace fb {
namespace {

using reduce_detail::HalfIsa;

constexpr std::size_t kSizes[] = {0, 1, 7, 64, 1001};
constexpr int kRankCounts[] = {1, 2, 3, 7, 1000};

template <typename T>
std::string hex(T v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof v);
  char text[24];
  std::snprintf(text, sizeof text, "0x%0*llx", static_cast<int>(2 * sizeof v),
                static_cast<unsigned long long>(bits));
  return text;
}

// ---- The reference: what every op means, one element at a time. ----

template <typename F>
F ref_float(ReduceOp op, F a, F b) {
  const F nan = std::numeric_limits<F>::quiet_NaN();
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::avg:
      return a + b;
    case ReduceOp::prod:
      return a * b;
    case ReduceOp::min:
      if (std::isnan(a) || std::isnan(b)) return nan;
      if (a == b) return std::signbit(a) ? a : b;  // -0 is the smaller zero
      return a < b ? a : b;
    case ReduceOp::max:
      if (std::isnan(a) || std::isnan(b)) return nan;
      if (a == b) return std::signbit(a) ? b : a;
      return a > b ? a : b;
  }
  return nan;
}

template <typename T>
struct IntKind {
  using Storage = T;
  static T combine(ReduceOp op, T a, T b) {
    // Modulo 2^64 arithmetic, then the conversion to T takes it modulo 2^N.
    using Wide = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;
    const auto ua = static_cast<std::uint64_t>(static_cast<Wide>(a));
    const auto ub = static_cast<std::uint64_t>(static_cast<Wide>(b));
    switch (op) {
      case ReduceOp::sum:
      case ReduceOp::avg:
        return static_cast<T>(ua + ub);
      case ReduceOp::prod:
        return static_cast<T>(ua * ub);
      case ReduceOp::min:
        return std::min(a, b);
      case ReduceOp::max:
        return std::max(a, b);
    }
    return T{};
  }
  static T combine3(ReduceOp op, T a, T b, T c) { return combine(op, combine(op, a, b), c); }
  static T average(T v, int n) {
    if constexpr (std::is_signed_v<T>) {
      return static_cast<T>(static_cast<std::int64_t>(v) / n);  // truncates toward zero
    } else {
      return static_cast<T>(static_cast<std::uint64_t>(v) / static_cast<std::uint64_t>(n));
    }
  }
  static bool same(T expected, T got) { return expected == got; }
  static T random(std::mt19937_64& rng) {
    const std::uint64_t r = rng();
    // Mostly full-range values; some small ones, so that products do not all wrap to 0.
    return (r & 7) == 0 ? static_cast<T>(static_cast<std::int64_t>(r >> 8) % 16)
                        : static_cast<T>(r >> 3);
  }
};

template <typename F>
struct FloatKind {
  using Storage = F;
  using Bits = std::conditional_t<sizeof(F) == 4, std::uint32_t, std::uint64_t>;
  static F combine(ReduceOp op, F a, F b) { return ref_float(op, a, b); }
  static F combine3(ReduceOp op, F a, F b, F c) { return ref_float(op, ref_float(op, a, b), c); }
  static F average(F v, int n) { return v / static_cast<F>(n); }
  static bool same(F expected, F got) {
    if (std::isnan(expected)) return std::isnan(got);
    return std::bit_cast<Bits>(expected) == std::bit_cast<Bits>(got);
  }
  static F random(std::mt19937_64& rng) {
    const std::uint64_t r = rng();
    switch (r % 16) {
      case 0:  // any bit pattern: NaNs, infinities, subnormals, huge and tiny values
        return std::bit_cast<F>(static_cast<Bits>(rng()));
      case 1: {
        constexpr F kSpecial[] = {0,
                                  -F{0},
                                  std::numeric_limits<F>::infinity(),
                                  -std::numeric_limits<F>::infinity(),
                                  std::numeric_limits<F>::quiet_NaN(),
                                  -std::numeric_limits<F>::quiet_NaN(),
                                  std::numeric_limits<F>::denorm_min(),
                                  std::numeric_limits<F>::max(),
                                  -std::numeric_limits<F>::max(),
                                  std::numeric_limits<F>::min()};
        return kSpecial[(r >> 8) % std::size(kSpecial)];
      }
      default:
        return static_cast<F>(std::uniform_real_distribution<double>(-100.0, 100.0)(rng));
    }
  }
};

// float16 and bfloat16: widen with half.hpp, compute in float32, round once with half.hpp.
template <float (*Widen)(std::uint16_t), std::uint16_t (*Narrow)(float)>
struct HalfKind {
  using Storage = std::uint16_t;
  static std::uint16_t combine(ReduceOp op, std::uint16_t a, std::uint16_t b) {
    return Narrow(ref_float(op, Widen(a), Widen(b)));
  }
  static std::uint16_t combine3(ReduceOp op, std::uint16_t a, std::uint16_t b, std::uint16_t c) {
    return Narrow(ref_float(op, ref_float(op, Widen(a), Widen(b)), Widen(c)));
  }
  static std::uint16_t average(std::uint16_t v, int n) {
    return Narrow(Widen(v) / static_cast<float>(n));
  }
  static bool same(std::uint16_t expected, std::uint16_t got) {
    if (std::isnan(Widen(expected))) return std::isnan(Widen(got));
    return expected == got;
  }
  static std::uint16_t random(std::mt19937_64& rng) { return static_cast<std::uint16_t>(rng()); }
};

float widen_f16(std::uint16_t h) {
  return half_to_float({h});
}
std::uint16_t narrow_f16(float f) {
  return float_to_half(f).bits;
}
float widen_bf16(std::uint16_t h) {
  return bf16_to_float({h});
}
std::uint16_t narrow_bf16(float f) {
  return float_to_bf16(f).bits;
}
using F16Kind = HalfKind<widen_f16, narrow_f16>;
using BF16Kind = HalfKind<widen_bf16, narrow_bf16>;

// ---- Running kernels against the reference. ----

// Compares out[i] with expect(i) for every i; reports the first mismatch.
template <typename K, typename Expect>
::testing::AssertionResult all_match(const typename K::Storage* out, std::size_t n, Expect expect) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto want = expect(i);
    if (!K::same(want, out[i])) {
      return ::testing::AssertionFailure() << "element " << i << " of " << n << ": expected "
                                           << hex(want) << ", got " << hex(out[i]);
    }
  }
  return ::testing::AssertionSuccess();
}

// Runs combine, combine3 and finalize on the given inputs (all of length n), out of place
// and in place, and checks every element against the reference.
template <typename K>
void check_on(const ReduceKernels& k, ReduceOp op, const std::vector<typename K::Storage>& a,
              const std::vector<typename K::Storage>& b, const std::vector<typename K::Storage>& c,
              std::size_t offset) {
  using S = typename K::Storage;
  const std::size_t n = a.size();
  // Every buffer starts `offset` elements into its allocation, to test unaligned access.
  auto placed = [&](const std::vector<S>& v) {
    std::vector<S> p(offset, S{});
    p.insert(p.end(), v.begin(), v.end());
    return p;
  };
  auto pa = placed(a);
  auto pb = placed(b);
  auto pc = placed(c);
  std::vector<S> out(n + offset, S{});
  const auto pair = [&](std::size_t i) { return K::combine(op, a[i], b[i]); };
  const auto triple = [&](std::size_t i) { return K::combine3(op, a[i], b[i], c[i]); };
  S* o = out.data() + offset;

  k.combine(o, pa.data() + offset, pb.data() + offset, n);
  ASSERT_TRUE(all_match<K>(o, n, pair)) << "combine, offset " << offset;
  k.combine3(o, pa.data() + offset, pb.data() + offset, pc.data() + offset, n);
  ASSERT_TRUE(all_match<K>(o, n, triple)) << "combine3, offset " << offset;

  auto in_place = placed(a);
  k.combine(in_place.data() + offset, in_place.data() + offset, pb.data() + offset, n);
  ASSERT_TRUE(all_match<K>(in_place.data() + offset, n, pair)) << "combine, dst == a";
  in_place = placed(b);
  k.combine(in_place.data() + offset, pa.data() + offset, in_place.data() + offset, n);
  ASSERT_TRUE(all_match<K>(in_place.data() + offset, n, pair)) << "combine, dst == b";
  in_place = placed(a);
  k.combine3(in_place.data() + offset, in_place.data() + offset, pb.data() + offset,
             pc.data() + offset, n);
  ASSERT_TRUE(all_match<K>(in_place.data() + offset, n, triple)) << "combine3, dst == a";

  if (op != ReduceOp::avg) {
    ASSERT_EQ(k.finalize, nullptr);
    return;
  }
  ASSERT_NE(k.finalize, nullptr);
  for (const int ranks : kRankCounts) {
    auto data = placed(a);
    k.finalize(data.data() + offset, n, ranks);
    ASSERT_TRUE(all_match<K>(data.data() + offset, n,
                             [&](std::size_t i) { return K::average(a[i], ranks); }))
        << "finalize, " << ranks << " ranks, offset " << offset;
  }
}

template <typename K>
void check_random(const ReduceKernels& k, ReduceOp op) {
  using S = typename K::Storage;
  std::mt19937_64 rng(12345);
  for (const std::size_t n : kSizes) {
    for (const std::size_t offset : {0UL, 1UL}) {
      std::vector<S> a(n), b(n), c(n);
      for (std::size_t i = 0; i < n; ++i) {
        a[i] = K::random(rng);
        b[i] = K::random(rng);
        c[i] = K::random(rng);
      }
      SCOPED_TRACE("n = " + std::to_string(n));
      check_on<K>(k, op, a, b, c, offset);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

// The given values, repeated to `n` elements, so that they reach the vector loops too.
template <typename S>
std::vector<S> tiled(const std::vector<S>& values, std::size_t n = 1001) {
  std::vector<S> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = values[i % values.size()];
  return out;
}

template <typename K>
void check_values(const ReduceKernels& k, ReduceOp op, const std::vector<typename K::Storage>& a,
                  const std::vector<typename K::Storage>& b,
                  const std::vector<typename K::Storage>& c) {
  check_on<K>(k, op, tiled(a), tiled(b), tiled(c), 0);
  check_on<K>(k, op, tiled(a), tiled(b), tiled(c), 1);
}

void check_dtype(DType dtype, ReduceOp op) {
  const ReduceKernels k = reduce_kernels(dtype, op);
  ASSERT_NE(k.combine, nullptr);
  ASSERT_NE(k.combine3, nullptr);
  switch (dtype) {
    case DType::int8:
      return check_random<IntKind<std::int8_t>>(k, op);
    case DType::uint8:
      return check_random<IntKind<std::uint8_t>>(k, op);
    case DType::int32:
      return check_random<IntKind<std::int32_t>>(k, op);
    case DType::uint32:
      return check_random<IntKind<std::uint32_t>>(k, op);
    case DType::int64:
      return check_random<IntKind<std::int64_t>>(k, op);
    case DType::uint64:
      return check_random<IntKind<std::uint64_t>>(k, op);
    case DType::float16:
      return check_random<F16Kind>(k, op);
    case DType::bfloat16:
      return check_random<BF16Kind>(k, op);
    case DType::float32:
      return check_random<FloatKind<float>>(k, op);
    case DType::float64:
      return check_random<FloatKind<double>>(k, op);
  }
  FAIL() << "unknown dtype";
}

constexpr DType kDTypes[] = {DType::int8,    DType::uint8,  DType::int32,   DType::uint32,
                             DType::int64,   DType::uint64, DType::float16, DType::bfloat16,
                             DType::float32, DType::float64};
constexpr ReduceOp kOps[] = {ReduceOp::sum, ReduceOp::prod, ReduceOp::min, ReduceOp::max,
                             ReduceOp::avg};

class EveryKernel : public ::testing::TestWithParam<std::tuple<DType, ReduceOp>> {};

TEST_P(EveryKernel, MatchesReference) {
  check_dtype(std::get<0>(GetParam()), std::get<1>(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Kernels, EveryKernel,
                         ::testing::Combine(::testing::ValuesIn(kDTypes),
                                            ::testing::ValuesIn(kOps)),
                         [](const auto& test) {
                           return std::string(to_string(std::get<0>(test.param))) + "_" +
                                  std::string(to_string(std::get<1>(test.param)));
                         });

TEST(Kernels, RejectInvalidEnums) {
  EXPECT_THROW(reduce_kernels(static_cast<DType>(99), ReduceOp::sum), std::invalid_argument);
  EXPECT_THROW(reduce_kernels(DType::float32, static_cast<ReduceOp>(99)), std::invalid_argument);
  EXPECT_THROW(reduce_kernels(DType::float16, static_cast<ReduceOp>(99)), std::invalid_argument);
}

TEST(Kernels, FinalizeRejectsNoRanks) {
  for (const DType t : kDTypes) {
    std::vector<std::uint64_t> data(4);
    EXPECT_THROW(reduce_kernels(t, ReduceOp::avg).finalize(data.data(), 4, 0),
                 std::invalid_argument)
        << to_string(t);
  }
}

// ---- Integers wrap around. ----

TEST(Kernels, IntegerSumAndProductWrap) {
  using I8 = IntKind<std::int8_t>;
  const auto i8s = reduce_kernels(DType::int8, ReduceOp::sum);
  check_values<I8>(i8s, ReduceOp::sum, {127, -128, -1, 100}, {1, -1, -128, 100}, {0, 0, 0, 0});
  const std::vector<std::int8_t> a8 = {127, -128, -1, 100};
  std::vector<std::int8_t> out8(4);
  i8s.combine(out8.data(), a8.data(), std::vector<std::int8_t>{1, -1, -128, 100}.data(), 4);
  EXPECT_EQ(out8, (std::vector<std::int8_t>{-128, 127, 127, -56}));

  std::vector<std::uint8_t> u8 = {255, 16};
  reduce_kernels(DType::uint8, ReduceOp::prod).combine(u8.data(), u8.data(), u8.data(), 2);
  EXPECT_EQ(u8, (std::vector<std::uint8_t>{1, 0}));

  constexpr auto kI32Max = std::numeric_limits<std::int32_t>::max();
  constexpr auto kI32Min = std::numeric_limits<std::int32_t>::min();
  std::vector<std::int32_t> i32 = {kI32Max, kI32Min, 65536};
  const std::vector<std::int32_t> i32b = {1, -1, 65536};
  reduce_kernels(DType::int32, ReduceOp::sum).combine(i32.data(), i32.data(), i32b.data(), 2);
  EXPECT_EQ(i32[0], kI32Min);
  EXPECT_EQ(i32[1], kI32Max);
  reduce_kernels(DType::int32, ReduceOp::prod).combine(i32.data(), i32.data(), i32b.data(), 3);
  EXPECT_EQ(i32[2], 0);  // 2^32 wraps to 0

  constexpr auto kI64Min = std::numeric_limits<std::int64_t>::min();
  std::vector<std::int64_t> i64 = {kI64Min, kI64Min};
  const std::vector<std::int64_t> i64b = {-1, -1};
  reduce_kernels(DType::int64, ReduceOp::prod).combine(i64.data(), i64.data(), i64b.data(), 2);
  EXPECT_EQ(i64, (std::vector<std::int64_t>{kI64Min, kI64Min}));
  std::vector<std::uint64_t> u64 = {~0ULL, ~0ULL};
  reduce_kernels(DType::uint64, ReduceOp::prod).combine(u64.data(), u64.data(), u64.data(), 2);
  EXPECT_EQ(u64[0], 1ULL);
  reduce_kernels(DType::uint64, ReduceOp::sum)
      .combine3(u64.data(), u64.data(), std::vector<std::uint64_t>{~0ULL, 1}.data(),
                std::vector<std::uint64_t>{2, 0}.data(), 2);
  EXPECT_EQ(u64, (std::vector<std::uint64_t>{2, 2}));
}

// ---- avg: integer division truncates toward zero; floats divide once and round. ----

TEST(Kernels, AverageTruncatesTowardZero) {
  std::vector<std::int32_t> i32 =
      tiled<std::int32_t>({-7, 7, -1, 1, -6, 2147483647, -2147483647 - 1});
  reduce_kernels(DType::int32, ReduceOp::avg).finalize(i32.data(), i32.size(), 2);
  const std::vector<std::int32_t> want = {-3, 3, 0, 0, -3, 1073741823, -1073741824};
  for (std::size_t i = 0; i < i32.size(); ++i)
    ASSERT_EQ(i32[i], want[i % want.size()]) << i;

  std::vector<std::int8_t> i8 = tiled<std::int8_t>({-128, 127, -5, 5});
  reduce_kernels(DType::int8, ReduceOp::avg).finalize(i8.data(), i8.size(), 3);
  for (std::size_t i = 0; i < i8.size(); ++i)
    ASSERT_EQ(i8[i], (std::vector<std::int8_t>{-42, 42, -1, 1})[i % 4]) << i;

  std::vector<std::uint32_t> u32 = tiled<std::uint32_t>({4294967295U, 4294967294U, 5});
  reduce_kernels(DType::uint32, ReduceOp::avg).finalize(u32.data(), u32.size(), 3);
  for (std::size_t i = 0; i < u32.size(); ++i)
    ASSERT_EQ(u32[i], (std::vector<std::uint32_t>{1431655765U, 1431655764U, 1})[i % 3]) << i;

  // Near-integer quotients, where a rounded floating-point division could go wrong.
  std::vector<std::int32_t> near = tiled<std::int32_t>({2147483646, -2147483646, 2147483645});
  reduce_kernels(DType::int32, ReduceOp::avg).finalize(near.data(), near.size(), 2147483647);
  for (std::size_t i = 0; i < near.size(); ++i)
    ASSERT_EQ(near[i], 0) << i;

  std::vector<std::int64_t> i64 =
      tiled<std::int64_t>({-7, std::numeric_limits<std::int64_t>::min()});
  reduce_kernels(DType::int64, ReduceOp::avg).finalize(i64.data(), i64.size(), 2);
  for (std::size_t i = 0; i < i64.size(); ++i)
    ASSERT_EQ(i64[i], i % 2 == 0 ? -3 : std::numeric_limits<std::int64_t>::min() / 2) << i;

  std::vector<std::uint64_t> u64 = tiled<std::uint64_t>({~0ULL});
  reduce_kernels(DType::uint64, ReduceOp::avg).finalize(u64.data(), u64.size(), 3);
  for (const auto v : u64)
    ASSERT_EQ(v, 6148914691236517205ULL);
}

TEST(Kernels, AverageRoundsFloats) {
  std::vector<float> f = tiled<float>({1.0F, -1.0F, 2.0F});
  reduce_kernels(DType::float32, ReduceOp::avg).finalize(f.data(), f.size(), 3);
  for (std::size_t i = 0; i < f.size(); ++i)
    ASSERT_EQ(f[i], (std::vector<float>{1.0F / 3.0F, -1.0F / 3.0F, 2.0F / 3.0F})[i % 3]) << i;
  std::vector<double> d = tiled<double>({1.0, 10.0});
  reduce_kernels(DType::float64, ReduceOp::avg).finalize(d.data(), d.size(), 3);
  for (std::size_t i = 0; i < d.size(); ++i)
    ASSERT_EQ(d[i], i % 2 == 0 ? 1.0 / 3.0 : 10.0 / 3.0) << i;
  // float16: 1/3 in float32 is 0.3333333433..., which rounds to half 0x3555 (0.33325195).
  std::vector<std::uint16_t> h = tiled<std::uint16_t>({0x3C00});
  reduce_kernels(DType::float16, ReduceOp::avg).finalize(h.data(), h.size(), 3);
  for (const auto v : h)
    ASSERT_EQ(v, 0x3555);
  std::vector<std::uint16_t> bf = tiled<std::uint16_t>({0x3F80});  // bfloat16 1.0
  reduce_kernels(DType::bfloat16, ReduceOp::avg).finalize(bf.data(), bf.size(), 3);
  for (const auto v : bf)
    ASSERT_EQ(v, 0x3EAB);  // 0.333984375
}

// ---- min and max: NaN propagates, infinities order, -0 < +0. ----

template <typename F>
void check_min_max_specials(DType dtype) {
  using K = FloatKind<F>;
  const F nan = std::numeric_limits<F>::quiet_NaN();
  const F inf = std::numeric_limits<F>::infinity();
  const std::vector<F> a = {nan, 1, nan, -inf, inf, -0.0F, 0.0F, 5, -inf, inf, 3, -nan};
  const std::vector<F> b = {1, nan, nan, inf, -inf, 0.0F, -0.0F, 5, nan, 2, inf, 0};
  const std::vector<F> c = {2, 3, 4, 0, 0, 0.0F, 0.0F, nan, 1, -inf, 1, 1};
  for (const ReduceOp op : {ReduceOp::min, ReduceOp::max})
    check_values<K>(reduce_kernels(dtype, op), op, a, b, c);

  std::vector<F> out(a.size());
  reduce_kernels(dtype, ReduceOp::min).combine(out.data(), a.data(), b.data(), a.size());
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]) && std::isnan(out[2]));
  EXPECT_EQ(out[3], -inf);
  EXPECT_TRUE(out[5] == 0 && std::signbit(out[5]) && std::signbit(out[6]));
  reduce_kernels(dtype, ReduceOp::max).combine(out.data(), a.data(), b.data(), a.size());
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]) && std::isnan(out[8]));
  EXPECT_EQ(out[3], inf);
  EXPECT_TRUE(out[5] == 0 && !std::signbit(out[5]) && !std::signbit(out[6]));
}

TEST(Kernels, MinMaxSpecialsFloat32AndFloat64) {
  check_min_max_specials<float>(DType::float32);
  check_min_max_specials<double>(DType::float64);
}

// Half patterns: NaN, -NaN, +-inf, +-0, 1, -1, the largest finite, the smallest subnormal.
template <typename K>
void check_half_min_max_specials(const ReduceKernels& min, const ReduceKernels& max,
                                 std::uint16_t nan, std::uint16_t inf, std::uint16_t one,
                                 std::uint16_t largest) {
  const std::uint16_t neg = 0x8000;
  const std::vector<std::uint16_t> a = {
      nan, one, nan,     static_cast<std::uint16_t>(inf | neg), inf,
      neg, 0,   largest, static_cast<std::uint16_t>(nan | neg), 1};
  const std::vector<std::uint16_t> b = {
      one, nan, nan,     inf, static_cast<std::uint16_t>(inf | neg),
      0,   neg, largest, one, static_cast<std::uint16_t>(1 | neg)};
  const std::vector<std::uint16_t> c = {0, 0, 0, 0, 0, 0, 0, nan, 0, 0};
  check_values<K>(min, ReduceOp::min, a, b, c);
  check_values<K>(max, ReduceOp::max, a, b, c);
}

TEST(Kernels, MinMaxSpecialsHalf) {
  for (const HalfIsa isa : {HalfIsa::portable, HalfIsa::avx2_f16c, HalfIsa::avx512f}) {
    if (!reduce_detail::half_isa_available(isa)) continue;
    SCOPED_TRACE(static_cast<int>(isa));
    check_half_min_max_specials<F16Kind>(reduce_detail::float16_kernels(ReduceOp::min, isa),
                                         reduce_detail::float16_kernels(ReduceOp::max, isa), 0x7E00,
                                         0x7C00, 0x3C00, 0x7BFF);
  }
  check_half_min_max_specials<BF16Kind>(reduce_kernels(DType::bfloat16, ReduceOp::min),
                                        reduce_kernels(DType::bfloat16, ReduceOp::max), 0x7FC0,
                                        0x7F80, 0x3F80, 0x7F7F);
}

// ---- float16 and bfloat16 rounding. ----

struct HalfCase {
  ReduceOp op;
  std::uint16_t a, b, want;
};

// Exact bits, except that a NaN may be any NaN.
template <typename K, typename GetKernels>
void check_half_cases(GetKernels kernels, const std::vector<HalfCase>& cases) {
  for (const auto& hc : cases) {
    std::vector<std::uint16_t> a = tiled<std::uint16_t>({hc.a}, 200);
    const std::vector<std::uint16_t> b = tiled<std::uint16_t>({hc.b}, 200);
    kernels(hc.op).combine(a.data(), a.data(), b.data(), a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      ASSERT_TRUE(K::same(hc.want, a[i]))
          << hex(hc.a) << " " << to_string(hc.op) << " " << hex(hc.b) << " gave " << hex(a[i])
          << ", expected " << hex(hc.want) << ", element " << i;
  }
}

const std::vector<HalfCase> kFloat16Cases = {
    {ReduceOp::sum, 0x3C00, 0x1000, 0x3C00},   // 1 + 2^-11: a tie, to even (down)
    {ReduceOp::sum, 0x3C01, 0x1000, 0x3C02},   // (1 + 2^-10) + 2^-11: a tie, to even (up)
    {ReduceOp::sum, 0x3C00, 0x1001, 0x3C01},   // just above the tie
    {ReduceOp::sum, 0x7BFF, 0x7BFF, 0x7C00},   // 65504 + 65504 overflows to inf
    {ReduceOp::sum, 0x7BFF, 0x4C00, 0x7C00},   // 65504 + 16 = 65520: a tie, to even = inf
    {ReduceOp::sum, 0x7BFF, 0x4800, 0x7BFF},   // 65504 + 8 rounds back down
    {ReduceOp::sum, 0xFBFF, 0xFBFF, 0xFC00},   // to -inf
    {ReduceOp::prod, 0x7BFF, 0x4000, 0x7C00},  // 65504 * 2
    {ReduceOp::sum, 0x0001, 0x0001, 0x0002},   // subnormals: 2^-24 + 2^-24
    {ReduceOp::sum, 0x03FF, 0x0001, 0x0400},   // largest subnormal + smallest = smallest normal
    {ReduceOp::prod, 0x0400, 0x3800, 0x0200},  // 2^-14 * 0.5 = 2^-15, subnormal
    {ReduceOp::prod, 0x0001, 0x3800, 0x0000},  // 2^-25: a tie between 0 and 2^-24, to even
    {ReduceOp::prod, 0x0003, 0x3800, 0x0002},  // 1.5 * 2^-24: a tie, to even (up)
    {ReduceOp::prod, 0x0001, 0x3A00, 0x0001},  // 0.75 * 2^-24 rounds up
    {ReduceOp::prod, 0x8001, 0x3400, 0x8000},  // -2^-26 rounds to -0
    {ReduceOp::sum, 0x3C00, 0xBC00, 0x0000},   // 1 - 1 = +0
    {ReduceOp::prod, 0x7C00, 0x0000, 0x7E00},  // inf * 0 = NaN
};

const std::vector<HalfCase> kBFloat16Cases = {
    {ReduceOp::sum, 0x3F80, 0x3B80, 0x3F80},   // 1 + 2^-8: a tie, to even (down)
    {ReduceOp::sum, 0x3F81, 0x3B80, 0x3F82},   // a tie, to even (up)
    {ReduceOp::sum, 0x3F80, 0x3B81, 0x3F81},   // just above the tie
    {ReduceOp::sum, 0x7F7F, 0x7F7F, 0x7F80},   // largest finite * 2 overflows to inf
    {ReduceOp::sum, 0x0001, 0x0001, 0x0002},   // subnormals
    {ReduceOp::prod, 0x0080, 0x3F00, 0x0040},  // smallest normal * 0.5 = subnormal
    {ReduceOp::prod, 0x7F80, 0x0000, 0x7FC0},  // inf * 0 = NaN
};

TEST(Kernels, Float16Rounding) {
  for (const HalfIsa isa : {HalfIsa::portable, HalfIsa::avx2_f16c, HalfIsa::avx512f}) {
    if (!reduce_detail::half_isa_available(isa)) continue;
    SCOPED_TRACE("variant " + std::to_string(static_cast<int>(isa)));
    check_half_cases<F16Kind>(
        [isa](ReduceOp op) { return reduce_detail::float16_kernels(op, isa); }, kFloat16Cases);
  }
}

TEST(Kernels, BFloat16Rounding) {
  check_half_cases<BF16Kind>([](ReduceOp op) { return reduce_kernels(DType::bfloat16, op); },
                             kBFloat16Cases);
}

// Every float16 kernel variant on every half pattern (against 4 random partners each), against
// the scalar reference: the conversion instructions and the portable code must agree exactly.
TEST(Kernels, Float16VariantsOnEveryPattern) {
  std::mt19937_64 rng(7);
  std::vector<std::uint16_t> a, b, c;
  for (std::uint32_t h = 0; h < 65536; ++h) {
    for (int j = 0; j < 4; ++j) {
      a.push_back(static_cast<std::uint16_t>(h));
      b.push_back(static_cast<std::uint16_t>(rng()));
      c.push_back(static_cast<std::uint16_t>(rng()));
    }
  }
  for (const HalfIsa isa : {HalfIsa::portable, HalfIsa::avx2_f16c, HalfIsa::avx512f}) {
    if (!reduce_detail::half_isa_available(isa)) continue;
    for (const ReduceOp op : kOps) {
      SCOPED_TRACE("variant " + std::to_string(static_cast<int>(isa)) + ", " +
                   std::string(to_string(op)));
      check_on<F16Kind>(reduce_detail::float16_kernels(op, isa), op, a, b, c, 0);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(Kernels, BFloat16OnEveryPattern) {
  std::mt19937_64 rng(8);
  std::vector<std::uint16_t> a, b, c;
  for (std::uint32_t h = 0; h < 65536; ++h) {
    for (int j = 0; j < 4; ++j) {
      a.push_back(static_cast<std::uint16_t>(h));
      b.push_back(static_cast<std::uint16_t>(rng()));
      c.push_back(static_cast<std::uint16_t>(rng()));
    }
  }
  for (const ReduceOp op : kOps) {
    SCOPED_TRACE(std::string(to_string(op)));
    check_on<BF16Kind>(reduce_kernels(DType::bfloat16, op), op, a, b, c, 0);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace fb
