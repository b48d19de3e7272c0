// reduce_kernels(): picks the kernels of a (dtype, op) pair. The kernels themselves are
// templates in reduce_kernels_common.hpp (integers, float32, float64) and
// reduce_kernels_half.cpp (float16, bfloat16).
#include "collectives/reduce_kernels.hpp"

#include <cstdint>
#include <stdexcept>

#include "collectives/reduce_kernels_common.hpp"
#include "collectives/reduce_kernels_half.hpp"

namespace fb {

namespace {

template <typename T>
ReduceKernels native_kernels(ReduceOp op) {
  return reduce_detail::kernels_of<reduce_detail::Elementwise<reduce_detail::Native<T>>>(op);
}

}  // namespace

ReduceKernels reduce_kernels(DType dtype, ReduceOp op) {
  switch (dtype) {
    case DType::int8:
      return native_kernels<std::int8_t>(op);
    case DType::uint8:
      return native_kernels<std::uint8_t>(op);
    case DType::int32:
      return native_kernels<std::int32_t>(op);
    case DType::uint32:
      return native_kernels<std::uint32_t>(op);
    case DType::int64:
      return native_kernels<std::int64_t>(op);
    case DType::uint64:
      return native_kernels<std::uint64_t>(op);
    case DType::float16:
      return reduce_detail::float16_kernels(op, reduce_detail::best_half_isa());
    case DType::bfloat16:
      return reduce_detail::bfloat16_kernels(op);
    case DType::float32:
      return native_kernels<float>(op);
    case DType::float64:
      return native_kernels<double>(op);
  }
  throw std::invalid_argument("invalid datatype");
}

}  // namespace fb
