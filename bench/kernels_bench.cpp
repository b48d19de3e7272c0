// Throughput of the reduction kernels beside std::memcpy of the same size.
//
//   build/bench/fb_kernels_bench [--benchmark_filter=REGEX] [--benchmark_repetitions=N]
//
// The argument of each benchmark is the size in bytes of the buffer written, and
// bytes_per_second counts exactly those bytes per iteration: the output of combine (count *
// element size; the two inputs it reads are not counted) and the destination of memcpy. So
// combine at 100% of memcpy writes its output as fast as memcpy copies, although it reads
// twice as much. Buffers are page aligned and touched before timing. combine/<dtype>_<op>
// writes a separate output buffer, as a reduction into the recv buffer does;
// combine/float32_sum_in_place writes over its first input (dst == a), as an in-place
// collective does.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "collectives/aligned_buffer.hpp"
#include "collectives/reduce_kernels.hpp"

namespace fb {
namespace {

// 4 KiB, 256 KiB, 4 MiB, 64 MiB: from L1-resident to larger than L2 (and than L3 on most
// machines).
void buffer_sizes(benchmark::internal::Benchmark* b) {
  for (const std::int64_t bytes : {std::int64_t{4} << 10, std::int64_t{256} << 10,
                                   std::int64_t{4} << 20, std::int64_t{64} << 20})
    b->Arg(bytes);
}

// Fills a buffer with the value 1 of the dtype, so that no kernel meets NaNs or subnormals.
void fill_small(AlignedBuffer& buf, DType dtype) {
  const std::size_t esize = dtype_size(dtype);
  std::byte one[8] = {};
  switch (dtype) {
    case DType::float16: {
      const std::uint16_t v = 0x3C00;  // 1.0
      std::memcpy(one, &v, sizeof v);
      break;
    }
    case DType::bfloat16: {
      const std::uint16_t v = 0x3F80;  // 1.0
      std::memcpy(one, &v, sizeof v);
      break;
    }
    case DType::float32: {
      const float v = 1.0F;
      std::memcpy(one, &v, sizeof v);
      break;
    }
    case DType::float64: {
      const double v = 1.0;
      std::memcpy(one, &v, sizeof v);
      break;
    }
    default:
      one[0] = std::byte{1};  // integer 1 (little endian)
  }
  for (std::size_t off = 0; off + esize <= buf.size(); off += esize)
    std::memcpy(buf.data() + off, one, esize);
}

void combine(benchmark::State& state, DType dtype, ReduceOp op, bool in_place) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  const std::size_t count = bytes / dtype_size(dtype);
  const ReduceKernels k = reduce_kernels(dtype, op);
  AlignedBuffer a(bytes);
  AlignedBuffer b(bytes);
  AlignedBuffer out(bytes);
  fill_small(a, dtype);
  fill_small(b, dtype);
  std::byte* dst = in_place ? a.data() : out.data();
  for (auto _ : state) {
    k.combine(dst, a.data(), b.data(), count);
    benchmark::DoNotOptimize(dst);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(count * dtype_size(dtype)));
}

void memcpy_bytes(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  AlignedBuffer src(bytes);
  AlignedBuffer dst(bytes);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes));
}

BENCHMARK(memcpy_bytes)->Name("memcpy")->Apply(buffer_sizes);
BENCHMARK_CAPTURE(combine, float32_sum, DType::float32, ReduceOp::sum, false)->Apply(buffer_sizes);
BENCHMARK_CAPTURE(combine, float64_sum, DType::float64, ReduceOp::sum, false)->Apply(buffer_sizes);
BENCHMARK_CAPTURE(combine, int32_sum, DType::int32, ReduceOp::sum, false)->Apply(buffer_sizes);
BENCHMARK_CAPTURE(combine, bfloat16_sum, DType::bfloat16, ReduceOp::sum, false)
    ->Apply(buffer_sizes);
BENCHMARK_CAPTURE(combine, float16_sum, DType::float16, ReduceOp::sum, false)->Apply(buffer_sizes);
BENCHMARK_CAPTURE(combine, float32_max, DType::float32, ReduceOp::max, false)->Apply(buffer_sizes);
BENCHMARK_CAPTURE(combine, float32_sum_in_place, DType::float32, ReduceOp::sum, true)
    ->Apply(buffer_sizes);

}  // namespace
}  // namespace fb

BENCHMARK_MAIN();
