// Bandwidth of the CUDA reduction kernels (gpu/reduce.hpp) against cudaMemcpy device to
// device on the same GPU, in the same run. Built when CUDA is (FB_HAVE_CUDA):
//
//   build/bench/fb_cuda_kernels_bench [--reps N] [--max-mib M]
//
// For each size from 1 MiB to M MiB (default 1024), the float32 sum combine dst = a + b and
// a copy of the same size, each timed alone with CUDA events on one stream, N times (default
// 20, after 3 untimed runs); the table shows the medians:
//   moved GB/s      every byte through memory: 3 x size / time for the combine (two reads and
//                   a write), 2 x size / time for the copy (a read and a write)
//   effective GB/s  size / time, the way a copy's rate is usually quoted
//   ratio           combine moved / copy moved: how close the kernel streams to what the
//                   GPU's own copy achieves (1.0 = as fast per byte)
// Then one line per datatype (sum) and one for the float32 combine3 at 256 MiB (or M MiB if
// smaller). GB = 1e9 bytes. Exits 0 with one line when there is no GPU.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"
#include "gpu/cuda_env.hpp"
#include "gpu/device.hpp"
#include "gpu/reduce.hpp"

namespace {

using fb::DType;
using fb::ReduceOp;
namespace gpu = fb::gpu;

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr int kWarmup = 3;

struct Options {
  int reps = 20;
  std::size_t max_mib = 1024;
};

// Options come in pairs: --reps N, --max-mib M (positive integers).
bool parse(int argc, char** argv, Options& options) {
  if (argc % 2 != 1) return false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view name = argv[i];
    char* end = nullptr;
    const unsigned long value = std::strtoul(argv[i + 1], &end, 10);
    if (*end != '\0' || value == 0) return false;
    if (name == "--reps") {
      options.reps = static_cast<int>(std::min(value, 100000UL));
    } else if (name == "--max-mib") {
      options.max_mib = value;
    } else {
      return false;
    }
  }
  return true;
}

// Median time of `reps` timed runs of `launch` on `stream`, in microseconds.
double median_us(const std::function<void()>& launch, gpu::Stream& stream, int reps) {
  gpu::Event start;
  gpu::Event stop;
  for (int i = 0; i < kWarmup; ++i)
    launch();
  stream.synchronize();
  std::vector<double> times;
  times.reserve(static_cast<std::size_t>(reps));
  for (int i = 0; i < reps; ++i) {
    start.record(stream.handle());
    launch();
    stop.record(stream.handle());
    stop.synchronize();
    times.push_back(gpu::elapsed_ms(start, stop) * 1e3);
  }
  std::sort(times.begin(), times.end());
  const std::size_t n = times.size();
  return n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
}

double gbps(double bytes, double us) {
  return bytes / (us * 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr, "usage: %s [--reps N] [--max-mib M]\n", argv[0]);
    return 2;
  }
  const gpu::CudaAvailability cuda = gpu::cuda_availability();
  if (!cuda.available) {
    std::printf("fb_cuda_kernels_bench: nothing measured: %s\n", cuda.reason.c_str());
    return 0;
  }
  try {
    const int device = gpu::device_for_local_rank(0);
    gpu::set_device(device);
    std::printf("# device %d: %s; CUDA runtime %s, driver %s; median of %d runs\n", device,
                gpu::device_description(device).c_str(), gpu::cuda_runtime_version().c_str(),
                gpu::cuda_driver_version().c_str(), options.reps);

    const std::size_t max_bytes = options.max_mib * kMiB;
    gpu::DeviceBuffer a(max_bytes);
    gpu::DeviceBuffer b(max_bytes);
    gpu::DeviceBuffer c(max_bytes);
    gpu::DeviceBuffer dst(max_bytes);
    for (gpu::DeviceBuffer* buffer : {&a, &b, &c, &dst})
      gpu::memset_device(buffer->data(), 0x3C, max_bytes);  // small finite values in every type
    gpu::Stream stream;

    const auto copy_us = [&](std::size_t bytes) {
      return median_us([&] { gpu::memcpy_d2d_async(dst.data(), a.data(), bytes, stream.handle()); },
                       stream, options.reps);
    };

    std::printf("%12s %10s %10s %10s %10s %10s %7s\n", "bytes", "sum_us", "moved_GBps", "eff_GBps",
                "copy_us", "copy_GBps", "ratio");
    const gpu::DeviceReduceKernels f32 = gpu::device_reduce_kernels(DType::float32, ReduceOp::sum);
    for (std::size_t bytes = kMiB; bytes <= max_bytes; bytes *= 2) {
      const std::size_t count = bytes / sizeof(float);
      const double kernel =
          median_us([&] { f32.combine(dst.data(), a.data(), b.data(), count, stream.handle()); },
                    stream, options.reps);
      const double copy = copy_us(bytes);
      const double moved = gbps(3.0 * static_cast<double>(bytes), kernel);
      const double copy_moved = gbps(2.0 * static_cast<double>(bytes), copy);
      std::printf("%12zu %10.1f %10.1f %10.1f %10.1f %10.1f %7.3f\n", bytes, kernel, moved,
                  gbps(static_cast<double>(bytes), kernel), copy, copy_moved, moved / copy_moved);
    }

    const std::size_t bytes = std::min(max_bytes, 256 * kMiB);
    const double copy_moved = gbps(2.0 * static_cast<double>(bytes), copy_us(bytes));
    std::printf("\n# %zu bytes per buffer; copy moves %.1f GB/s\n", bytes, copy_moved);
    std::printf("%-18s %10s %10s %7s\n", "kernel", "us", "moved_GBps", "ratio");
    for (const DType t : fb::all_dtypes()) {
      const gpu::DeviceReduceKernels k = gpu::device_reduce_kernels(t, ReduceOp::sum);
      const std::size_t count = bytes / fb::dtype_size(t);
      const double us =
          median_us([&] { k.combine(dst.data(), a.data(), b.data(), count, stream.handle()); },
                    stream, options.reps);
      const double moved = gbps(3.0 * static_cast<double>(bytes), us);
      std::printf("%-18s %10.1f %10.1f %7.3f\n", (std::string(fb::to_string(t)) + " sum").c_str(),
                  us, moved, moved / copy_moved);
    }
    const double us3 = median_us(
        [&] {
          f32.combine3(dst.data(), a.data(), b.data(), c.data(), bytes / sizeof(float),
                       stream.handle());
        },
        stream, options.reps);
    const double moved3 = gbps(4.0 * static_cast<double>(bytes), us3);
    std::printf("%-18s %10.1f %10.1f %7.3f\n", "float32 sum (3 in)", us3, moved3,
                moved3 / copy_moved);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fb_cuda_kernels_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
