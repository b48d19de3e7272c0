// The CUDA reduction kernels: one grid-stride kernel template (gpu/reduce_element.hpp does the
// work) instantiated per element function, and the launchers of gpu/reduce.hpp.
//
// Instantiations: per dtype, combine and combine3 for sum, prod, min and max (avg combines
// with the sum kernels) and one avg finalize: 90 kernels in all.
//
// Grid: 256 threads per block and as many blocks as fit on the device at once (SM count x
// resident blocks per SM from the occupancy calculator, cached per device and kernel), fewer
// when the buffer does not need them. Each thread moves one 16-byte pack per stream per
// iteration, which keeps enough bytes in flight to saturate HBM.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "gpu/cuda_check.hpp"
#include "gpu/reduce.hpp"
#include "gpu/reduce_element.hpp"

namespace fb::gpu {

namespace {

using detail::cuda_check;
using element::Pack;
using element::Streams;

constexpr int kThreadsPerBlock = 256;

template <typename Fn, typename S>
__global__ void __launch_bounds__(kThreadsPerBlock) elementwise_kernel(Fn fn, Streams<S> s) {
  const std::size_t thread = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t threads = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  element::elementwise(fn, s, thread, threads);
}

// Blocks of `kernel` that the current device runs at once.
template <typename Kernel>
int resident_blocks(Kernel kernel) {
  int device = 0;
  cuda_check(cudaGetDevice(&device), "cudaGetDevice");
  static std::mutex mutex;
  static std::map<std::pair<int, const void*>, int> cache;
  const std::pair<int, const void*> key{device, reinterpret_cast<const void*>(kernel)};
  const std::lock_guard<std::mutex> lock(mutex);
  if (const auto it = cache.find(key); it != cache.end()) return it->second;
  int sms = 0;
  cuda_check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device),
             "cudaDeviceGetAttribute(cudaDevAttrMultiProcessorCount)");
  int per_sm = 0;
  cuda_check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreadsPerBlock, 0),
             "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
  const int blocks = std::max(1, sms) * std::max(1, per_sm);
  cache.emplace(key, blocks);
  return blocks;
}

// ---- Element types and ops by enum. ----

template <DType D>
struct ElementOf;
template <>
struct ElementOf<DType::int8> {
  using type = element::Native<std::int8_t>;
};
template <>
struct ElementOf<DType::uint8> {
  using type = element::Native<std::uint8_t>;
};
template <>
struct ElementOf<DType::int32> {
  using type = element::Native<std::int32_t>;
};
template <>
struct ElementOf<DType::uint32> {
  using type = element::Native<std::uint32_t>;
};
template <>
struct ElementOf<DType::int64> {
  using type = element::Native<std::int64_t>;
};
template <>
struct ElementOf<DType::uint64> {
  using type = element::Native<std::uint64_t>;
};
template <>
struct ElementOf<DType::float16> {
  using type = element::Float16;
};
template <>
struct ElementOf<DType::bfloat16> {
  using type = element::BFloat16;
};
template <>
struct ElementOf<DType::float32> {
  using type = element::Native<float>;
};
template <>
struct ElementOf<DType::float64> {
  using type = element::Native<double>;
};

// avg combines as sum (its finalize divides).
template <ReduceOp O>
struct OpOf {
  using type = element::Sum;
};
template <>
struct OpOf<ReduceOp::prod> {
  using type = element::Prod;
};
template <>
struct OpOf<ReduceOp::min> {
  using type = element::Min;
};
template <>
struct OpOf<ReduceOp::max> {
  using type = element::Max;
};

// ---- Launching. ----

template <typename S>
void check_pointer(const void* p, std::size_t count, const char* what, DType dtype) {
  if (p == nullptr) {
    throw std::invalid_argument(std::string("gpu ") + what + ": null pointer with " +
                                std::to_string(count) + " " + std::string(to_string(dtype)) +
                                " elements");
  }
  if (reinterpret_cast<std::uintptr_t>(p) % sizeof(S) != 0) {
    throw std::invalid_argument(std::string("gpu ") + what + ": pointer not aligned to its " +
                                std::to_string(sizeof(S)) + "-byte " +
                                std::string(to_string(dtype)) + " elements");
  }
}

// Checks the pointers, splits the streams into single elements and 16-byte packs, and
// launches fn over them on `stream`.
template <DType D, typename Fn, typename S>
void launch(const Fn& fn, S* dst, std::initializer_list<const S*> inputs, std::size_t count,
            StreamHandle stream, const char* what, const char* op) {
  if (count == 0) return;
  Streams<S> s;
  s.dst = dst;
  s.count = count;
  std::uintptr_t addresses[4] = {};
  int n = 0;
  check_pointer<S>(dst, count, what, D);
  addresses[n++] = reinterpret_cast<std::uintptr_t>(dst);
  for (const S* p : inputs) {
    check_pointer<S>(p, count, what, D);
    s.in[n - 1] = p;
    addresses[n++] = reinterpret_cast<std::uintptr_t>(p);
  }
  s.split = element::split_for_vectors(addresses, n, count, sizeof(S));

  const auto kernel = &elementwise_kernel<Fn, S>;
  const std::size_t vector_elements = s.split.vectors * Pack<S>::kCount;
  const std::size_t work = std::max(s.split.vectors, count - vector_elements);
  const std::size_t wanted = (work + kThreadsPerBlock - 1) / kThreadsPerBlock;
  const auto blocks =
      static_cast<unsigned>(std::min(wanted, static_cast<std::size_t>(resident_blocks(kernel))));
  kernel<<<blocks, kThreadsPerBlock, 0, stream>>>(fn, s);
  const cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess) {
    throw CudaError(std::string("gpu ") + what + " kernel launch (" + std::string(to_string(D)) +
                    " " + op + ", " + std::to_string(count) +
                    " elements): " + detail::cuda_error_text(error));
  }
}

template <DType D, ReduceOp O>
void combine2_entry(void* dst, const void* a, const void* b, std::size_t count,
                    StreamHandle stream) {
  using E = typename ElementOf<D>::type;
  using S = typename E::Storage;
  launch<D>(element::Combine2<E, typename OpOf<O>::type>{}, static_cast<S*>(dst),
            {static_cast<const S*>(a), static_cast<const S*>(b)}, count, stream, "combine",
            to_string(O).data());
}

template <DType D, ReduceOp O>
void combine3_entry(void* dst, const void* a, const void* b, const void* c, std::size_t count,
                    StreamHandle stream) {
  using E = typename ElementOf<D>::type;
  using S = typename E::Storage;
  launch<D>(element::Combine3<E, typename OpOf<O>::type>{}, static_cast<S*>(dst),
            {static_cast<const S*>(a), static_cast<const S*>(b), static_cast<const S*>(c)}, count,
            stream, "combine3", to_string(O).data());
}

void check_rank_count(int n_ranks) {
  if (n_ranks < 1) throw std::invalid_argument("avg finalize needs at least one rank");
}

template <DType D>
void average_entry(void* data, std::size_t count, int n_ranks, StreamHandle stream) {
  check_rank_count(n_ranks);
  using E = typename ElementOf<D>::type;
  using S = typename E::Storage;
  launch<D>(element::Average<E>{n_ranks}, static_cast<S*>(data), {static_cast<const S*>(data)},
            count, stream, "finalize", "avg");
}

template <DType D>
DeviceReduceKernels kernels_for(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return {&combine2_entry<D, ReduceOp::sum>, &combine3_entry<D, ReduceOp::sum>, nullptr};
    case ReduceOp::prod:
      return {&combine2_entry<D, ReduceOp::prod>, &combine3_entry<D, ReduceOp::prod>, nullptr};
    case ReduceOp::min:
      return {&combine2_entry<D, ReduceOp::min>, &combine3_entry<D, ReduceOp::min>, nullptr};
    case ReduceOp::max:
      return {&combine2_entry<D, ReduceOp::max>, &combine3_entry<D, ReduceOp::max>, nullptr};
    case ReduceOp::avg:
      return {&combine2_entry<D, ReduceOp::avg>, &combine3_entry<D, ReduceOp::avg>,
              &average_entry<D>};
  }
  throw std::invalid_argument("invalid reduction op");
}

}  // namespace

DeviceReduceKernels device_reduce_kernels(DType dtype, ReduceOp op) {
  switch (dtype) {
    case DType::int8:
      return kernels_for<DType::int8>(op);
    case DType::uint8:
      return kernels_for<DType::uint8>(op);
    case DType::int32:
      return kernels_for<DType::int32>(op);
    case DType::uint32:
      return kernels_for<DType::uint32>(op);
    case DType::int64:
      return kernels_for<DType::int64>(op);
    case DType::uint64:
      return kernels_for<DType::uint64>(op);
    case DType::float16:
      return kernels_for<DType::float16>(op);
    case DType::bfloat16:
      return kernels_for<DType::bfloat16>(op);
    case DType::float32:
      return kernels_for<DType::float32>(op);
    case DType::float64:
      return kernels_for<DType::float64>(op);
  }
  throw std::invalid_argument("invalid datatype");
}

void combine(DType dtype, ReduceOp op, void* dst, const void* a, const void* b, std::size_t count,
             StreamHandle stream) {
  device_reduce_kernels(dtype, op).combine(dst, a, b, count, stream);
}

void combine3(DType dtype, ReduceOp op, void* dst, const void* a, const void* b, const void* c,
              std::size_t count, StreamHandle stream) {
  device_reduce_kernels(dtype, op).combine3(dst, a, b, c, count, stream);
}

void finalize(DType dtype, ReduceOp op, void* data, std::size_t count, int n_ranks,
              StreamHandle stream) {
  check_rank_count(n_ranks);
  const DeviceReduceKernels kernels = device_reduce_kernels(dtype, op);
  if (kernels.finalize != nullptr) kernels.finalize(data, count, n_ranks, stream);
}

}  // namespace fb::gpu
