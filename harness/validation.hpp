// Input data whose reduction is known exactly, and the element-by-element check.
//
// Rank r's element i is a(i) + b(r) * c(i) with a(i) in [-8, 8], b(r) in {-1, 0, 1} and
// c(i) in [-3, 3]: small integers, so every partial sum is exact in float32 and float64 in
// any order for up to 2^20 ranks, and the expected sum n*a(i) + B*c(i) (B = sum of b(r)) is
// computed in O(1) per element whatever the rank count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "collectives/types.hpp"

namespace fb {

void fill_input(std::span<std::byte> buffer, std::size_t count, DType dtype, int rank);
// Fills the output with a value no correct result has (NaN), so untouched elements count.
void poison_output(std::span<std::byte> buffer, std::size_t count, DType dtype);
// Number of elements of `result` that differ from the all-reduce sum over `n_ranks` ranks.
std::int64_t count_allreduce_mismatches(std::span<const std::byte> result, std::size_t count,
                                        DType dtype, int n_ranks);

}  // namespace fb
