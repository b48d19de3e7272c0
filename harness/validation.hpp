// Input data whose collective result is known exactly, and the element-by-element check.
//
// Every element is a small integer chosen per (dtype, op, rank, index), so the result does
// not depend on the order of the reduction and is computed in O(1) per element whatever
// the rank count:
//   sum, avg   rank r's element i is a(i) + b(r) * c(i) with small a, c and b(r) in
//              {-1, 0, 1} ({0, 1} for unsigned types); the total is n*a(i) + B(n)*c(i).
//              float16 / bfloat16 keep every partial sum exactly representable by giving
//              non-zero data only to the first 512 / 64 ranks. Integer sums wrap as the
//              kernels do.
//   prod       1 everywhere except 2 from rank i mod n and, for signed types with n > 1,
//              -1 from rank (i+1) mod n: the product is exactly 2 or -2.
//   min, max   base(i) + ((r + i) mod m) with m = min(n, 64): min is base(i), max base(i)+m-1.
//   avg        the sum as above, then divided once by n: integers by C++ integer division
//              (truncation toward zero, in the type's signedness), float32/float64 in their
//              own precision, float16/bfloat16 in float32 and rounded to nearest even.
//   data movement (allgather, broadcast, alltoall, sendrecv): a hash of (rank, index) in a
//              range every type holds exactly, so every misplaced element is caught.
// Results are compared bit for bit; outputs are poisoned first (NaN or 0xA5 bytes), so an
// element the collective never wrote counts as wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/types.hpp"

namespace fb {

struct CheckSpec {
  Collective collective = Collective::allreduce;
  DType dtype = DType::float32;
  ReduceOp op = ReduceOp::sum;
  int rank = 0;
  int n_ranks = 1;
  int root = 0;
  std::size_t total = 0;  // elements, as buffer_counts() takes it
};

// Writes this rank's input: buffer_counts(...).send elements.
void fill_send(const CheckSpec& spec, std::span<std::byte> send);
// Fills `count` elements with a pattern no correct result has.
void poison(std::span<std::byte> buffer, std::size_t count, DType dtype);
// Elements of this rank's output (buffer_counts(...).recv elements) that differ from the
// exact result; 0 where the collective defines no output (reduce on a non-root rank).
std::int64_t count_mismatches(const CheckSpec& spec, std::span<const std::byte> recv);

}  // namespace fb
