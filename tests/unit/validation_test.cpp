// The validation data and checker agree with the kernels: an in-process simulation of each
// collective (inputs from fill_send, reductions with the real kernels in rank order, avg
// finalised once) passes count_mismatches exactly, and every wrong element is counted.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "collectives/reduce_kernels.hpp"
#include "harness/validation.hpp"

namespace fb {
namespace {

// Rank `me`'s output of the collective, built from every rank's fill_send input.
std::vector<std::byte> simulate(CheckSpec spec, int me) {
  const int n = spec.n_ranks;
  const auto counts = buffer_counts(spec.collective, spec.total, n);
  const std::size_t es = dtype_size(spec.dtype);
  std::vector<std::vector<std::byte>> inputs(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) {
    spec.rank = r;
    inputs[static_cast<std::size_t>(r)].resize(counts.send * es + 1);
    fill_send(spec, inputs[static_cast<std::size_t>(r)]);
  }
  std::vector<std::byte> out(counts.recv * es + 1);
  const auto block_bytes = counts.block * es;
  auto reduce_all = [&](std::size_t offset, std::size_t elems, std::byte* dst) {
    const auto k = reduce_kernels(spec.dtype, spec.op);
    std::memcpy(dst, inputs[0].data() + offset, elems * es);
    for (int r = 1; r < n; ++r)
      k.combine(dst, dst, inputs[static_cast<std::size_t>(r)].data() + offset, elems);
    if (k.finalize != nullptr) k.finalize(dst, elems, n);
  };
  const auto ume = static_cast<std::size_t>(me);
  switch (spec.collective) {
    case Collective::allreduce:
    case Collective::reduce:
      reduce_all(0, counts.recv, out.data());
      break;
    case Collective::reducescatter:
      reduce_all(ume * block_bytes, counts.block, out.data());
      break;
    case Collective::allgather:
      for (int r = 0; r < n; ++r) {
        std::memcpy(out.data() + static_cast<std::size_t>(r) * block_bytes,
                    inputs[static_cast<std::size_t>(r)].data(), block_bytes);
      }
      break;
    case Collective::broadcast:
      std::memcpy(out.data(), inputs[static_cast<std::size_t>(spec.root)].data(), counts.recv * es);
      break;
    case Collective::alltoall:
      for (int r = 0; r < n; ++r) {
        std::memcpy(out.data() + static_cast<std::size_t>(r) * block_bytes,
                    inputs[static_cast<std::size_t>(r)].data() + ume * block_bytes, block_bytes);
      }
      break;
    case Collective::sendrecv:
      std::memcpy(out.data(), inputs[static_cast<std::size_t>((me + n - 1) % n)].data(),
                  counts.recv * es);
      break;
  }
  return out;
}

TEST(Validation, SimulatedCollectivesPassForEveryDtypeOpAndRankCount) {
  for (const auto c : all_collectives()) {
    for (const auto t : all_dtypes()) {
      const auto ops = is_reduction(c) ? all_ops() : std::vector<ReduceOp>{ReduceOp::sum};
      for (const auto op : ops) {
        for (int n : {1, 2, 3, 5, 8}) {
          for (const std::size_t total : {std::size_t{0}, std::size_t{1}, std::size_t{97} * 8}) {
            CheckSpec spec{c, t, op, 0, n, n - 1, total};
            for (int me = 0; me < n; ++me) {
              const auto out = simulate(spec, me);
              spec.rank = me;
              ASSERT_EQ(count_mismatches(spec, out), 0)
                  << to_string(c) << " " << to_string(t) << " " << to_string(op) << " n=" << n
                  << " rank " << me << " total " << total;
            }
          }
        }
      }
    }
  }
}

TEST(Validation, HalfPrecisionSumsStayExactForManyRanks) {
  for (const auto t : {DType::float16, DType::bfloat16}) {
    for (int n : {64, 200, 700}) {
      CheckSpec spec{Collective::allreduce, t, ReduceOp::sum, 0, n, 0, 257};
      EXPECT_EQ(count_mismatches(spec, simulate(spec, 0)), 0) << to_string(t) << " n=" << n;
    }
  }
}

TEST(Validation, CountsEveryWrongElement) {
  CheckSpec spec{Collective::allreduce, DType::float32, ReduceOp::sum, 0, 4, 0, 100};
  auto out = simulate(spec, 0);
  auto* f = reinterpret_cast<float*>(out.data());
  f[3] += 1;
  f[50] = -f[50] + 0.5f;
  f[99] = 1e30f;
  EXPECT_EQ(count_mismatches(spec, out), 3);
  // A result for another rank count is wrong almost everywhere.
  CheckSpec five = spec;
  five.n_ranks = 5;
  EXPECT_GT(count_mismatches(spec, simulate(five, 0)), 50);
}

TEST(Validation, MisplacedBlocksAreCaught) {
  CheckSpec spec{Collective::allgather, DType::int32, ReduceOp::sum, 1, 3, 0, 30};
  auto out = simulate(spec, 1);
  std::swap_ranges(out.begin(), out.begin() + 40, out.begin() + 40);  // blocks 0 and 1 swapped
  EXPECT_EQ(count_mismatches(spec, out), 20);
}

TEST(Validation, PoisonedOutputIsAllWrong) {
  for (const auto t : all_dtypes()) {
    for (const auto c : {Collective::allreduce, Collective::broadcast}) {
      CheckSpec spec{c, t, ReduceOp::max, 0, 3, 0, 40};
      AlignedBuffer out(40 * dtype_size(t));
      poison(out.span(), 40, t);
      EXPECT_EQ(count_mismatches(spec, out.span()), 40) << to_string(t);
    }
  }
}

TEST(Validation, ReduceChecksOnlyTheRoot) {
  CheckSpec spec{Collective::reduce, DType::float64, ReduceOp::sum, 1, 3, 2, 10};
  AlignedBuffer garbage(10 * 8);
  poison(garbage.span(), 10, DType::float64);
  EXPECT_EQ(count_mismatches(spec, garbage.span()), 0);
  spec.rank = 2;
  EXPECT_EQ(count_mismatches(spec, garbage.span()), 10);
}

TEST(Validation, AvgRoundingRule) {
  // int32: sums divided by C++ integer division (toward zero), also for negative sums.
  CheckSpec spec{Collective::allreduce, DType::int32, ReduceOp::avg, 0, 4, 0, 64};
  const auto out = simulate(spec, 0);
  CheckSpec sum_spec = spec;
  sum_spec.op = ReduceOp::sum;
  const auto sums = simulate(sum_spec, 0);
  const auto* avg = reinterpret_cast<const std::int32_t*>(out.data());
  const auto* sum = reinterpret_cast<const std::int32_t*>(sums.data());
  bool saw_negative_inexact = false;
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(avg[i], sum[i] / 4) << i;
    saw_negative_inexact |= sum[i] < 0 && sum[i] % 4 != 0;
  }
  EXPECT_TRUE(saw_negative_inexact) << "the data should exercise truncation of negative sums";
  EXPECT_EQ(count_mismatches(spec, out), 0);
}

}  // namespace
}  // namespace fb
