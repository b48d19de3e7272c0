// IEEE 754 binary16 (float16) and bfloat16 stored as 16-bit patterns, converted to and from
// float32 with round-to-nearest-even. Scalar reference versions; kernels may use vector
// instructions but must give the same bits.
#pragma once

#include <bit>
#include <cstdint>

namespace fb {

struct float16_t {
  std::uint16_t bits;
};
struct bfloat16_t {
  std::uint16_t bits;
};

inline float bf16_to_float(bfloat16_t h) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(h.bits) << 16);
}

inline bfloat16_t float_to_bf16(float f) {
  const auto u = std::bit_cast<std::uint32_t>(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) {  // NaN: keep it a quiet NaN with its sign
    return {static_cast<std::uint16_t>((u >> 16) | 0x0040u)};
  }
  const std::uint32_t rounding = 0x7FFFu + ((u >> 16) & 1u);  // ties to even
  return {static_cast<std::uint16_t>((u + rounding) >> 16)};
}

inline float half_to_float(float16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h.bits & 0x8000u) << 16;
  const std::uint32_t exp = (h.bits >> 10) & 0x1Fu;
  std::uint32_t mant = h.bits & 0x3FFu;
  std::uint32_t out = 0;
  if (exp == 0x1F) {  // inf or NaN
    out = sign | 0x7F800000u | (mant << 13) | (mant != 0 ? 0x00400000u : 0u);
  } else if (exp != 0) {  // normal
    out = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant != 0) {  // subnormal: normalise
    std::uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    out = sign | (e << 23) | ((mant & 0x3FFu) << 13);
  } else {
    out = sign;  // +-0
  }
  return std::bit_cast<float>(out);
}

inline float16_t float_to_half(float f) {
  const auto u = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t abs = u & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return {static_cast<std::uint16_t>(sign | 0x7E00u)};   // NaN
  if (abs >= 0x477FF000u) return {static_cast<std::uint16_t>(sign | 0x7C00u)};  // rounds to inf
  if (abs >= 0x38800000u) {                                                     // normal half
    const std::uint32_t rounded = abs + 0x0FFFu + ((abs >> 13) & 1u);
    return {static_cast<std::uint16_t>(sign | ((rounded - 0x38000000u) >> 13))};
  }
  if (abs < 0x33000000u) return {sign};  // below half the smallest subnormal: +-0
  // Subnormal half: shift the full significand into place, rounding to nearest even.
  const std::uint32_t exp = abs >> 23;
  const std::uint32_t mant = (abs & 0x7FFFFFu) | 0x800000u;
  const std::uint32_t shift = 126u - exp;  // 14..24
  const std::uint32_t half_mant = mant >> shift;
  const std::uint32_t rem = mant & ((1u << shift) - 1u);
  const std::uint32_t halfway = 1u << (shift - 1u);
  const std::uint32_t up = (rem > halfway || (rem == halfway && (half_mant & 1u))) ? 1u : 0u;
  return {static_cast<std::uint16_t>(sign | (half_mant + up))};
}

}  // namespace fb
