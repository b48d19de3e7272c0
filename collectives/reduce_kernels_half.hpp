// Kernels of the 16-bit floating-point types. float16 kernels come in instruction-set
// variants that must agree bit for bit: the conversion instructions of AVX-512F or of AVX2 +
// F16C, and portable branch-free conversions. reduce_kernels() uses the best variant the CPU
// has; the unit tests run every one it has.
#pragma once

#include "collectives/reduce_kernels.hpp"

namespace fb::reduce_detail {

enum class HalfIsa { portable, avx2_f16c, avx512f };

// Is the variant compiled in and supported by this CPU?
bool half_isa_available(HalfIsa isa);
// The widest available variant, determined once.
HalfIsa best_half_isa();
// Throws std::invalid_argument for an invalid op or a variant that is not available.
ReduceKernels float16_kernels(ReduceOp op, HalfIsa isa);

// Throws std::invalid_argument for an invalid op.
ReduceKernels bfloat16_kernels(ReduceOp op);

}  // namespace fb::reduce_detail
