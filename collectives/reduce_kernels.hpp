// Element-wise reduction kernels. One function per (dtype, op), chosen once per collective
// call, so the inner loops carry no switch and the compiler vectorises them.
#pragma once

#include <cstddef>

#include "collectives/types.hpp"

namespace fb {

struct ReduceKernels {
  // dst[i] = a[i] op b[i]; dst may equal a or b (element-wise, so aliasing is harmless).
  void (*combine)(void* dst, const void* a, const void* b, std::size_t count) = nullptr;
  // dst[i] = a[i] op b[i] op c[i]: an inner tree node folds both children in one pass.
  void (*combine3)(void* dst, const void* a, const void* b, const void* c,
                   std::size_t count) = nullptr;
};

// Throws std::invalid_argument for a combination without a kernel.
ReduceKernels reduce_kernels(DType dtype, ReduceOp op);

}  // namespace fb
