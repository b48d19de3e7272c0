// Element-wise reduction kernels. One function per (dtype, op), chosen once per collective
// call, so the inner loops carry no switch and the compiler vectorises them.
//
// Semantics (tests/unit/kernels_test.cpp checks them against a scalar reference):
//   sum, prod   integers wrap around (two's complement); floats in IEEE arithmetic;
//               float16 and bfloat16 are widened to float32, combined, and rounded back to
//               nearest even after every combine (so a 3-input combine rounds once).
//   min, max    NaN propagates (if any input is NaN the result is NaN); otherwise the
//               smaller / larger value, with -0 ordered below +0 so the result does not
//               depend on the order ranks are combined in.
//   avg         combine is sum; finalize divides the complete sum by the rank count once:
//               integers by C++ integer division (truncation toward zero), float32 and
//               float64 in their own precision, float16/bfloat16 in float32 and rounded back.
#pragma once

#include <cstddef>

#include "core/types.hpp"

namespace fb {

struct ReduceKernels {
  // dst[i] = a[i] op b[i]; dst may equal a or b (element-wise, so aliasing is harmless).
  void (*combine)(void* dst, const void* a, const void* b, std::size_t count) = nullptr;
  // dst[i] = (a[i] op b[i]) op c[i]: an inner tree node folds both children in one pass.
  void (*combine3)(void* dst, const void* a, const void* b, const void* c,
                   std::size_t count) = nullptr;
  // Applied once, by one rank, to each fully reduced element; nullptr when the op needs
  // nothing (all but avg).
  void (*finalize)(void* data, std::size_t count, int n_ranks) = nullptr;
};

// Every (dtype, op) pair has kernels; throws std::invalid_argument for an invalid enum value.
ReduceKernels reduce_kernels(DType dtype, ReduceOp op);

}  // namespace fb
