// Vocabulary shared by algorithms and the harness: collectives, datatypes, reduction ops,
// and how each collective sizes its buffers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fb {

enum class Collective {
  allreduce,
  reducescatter,
  allgather,
  broadcast,
  reduce,
  alltoall,
  sendrecv
};
enum class DType { int8, uint8, int32, uint32, int64, uint64, float16, bfloat16, float32, float64 };
enum class ReduceOp { sum, prod, min, max, avg };

std::string_view to_string(Collective c);
std::string_view to_string(DType t);
std::string_view to_string(ReduceOp op);
// Short C-like name used in the stdout table ("float", "double", "int8", ...).
std::string_view short_name(DType t);

// Accepts our names and the nccl-tests spellings (all_reduce, reduce_scatter, all_gather,
// alltoall/all_to_all, send_recv; half/bf16/float/double; ...).
std::optional<Collective> parse_collective(std::string_view name);
std::optional<DType> parse_dtype(std::string_view name);
std::optional<ReduceOp> parse_op(std::string_view name);

std::vector<Collective> all_collectives();
std::vector<DType> all_dtypes();
std::vector<ReduceOp> all_ops();
std::vector<std::string> collective_names();
std::vector<std::string> dtype_names();
std::vector<std::string> op_names();

std::size_t dtype_size(DType t);
bool is_integer(DType t);
bool is_signed(DType t);

// Does the collective combine values (and so take --op)? allreduce, reducescatter, reduce.
bool is_reduction(Collective c);
// Does it have a root (and so take --root)? broadcast, reduce.
bool is_rooted(Collective c);

// busbw = algbw * factor, as nccl-tests defines it: all-reduce 2(n-1)/n; reduce-scatter,
// all-gather, all-to-all (n-1)/n; broadcast, reduce, sendrecv 1.
double busbw_factor(Collective c, int n_ranks);

// Element counts of one call, nccl-tests style: `total` is the size of the larger of the
// two buffers (the one the size sweep names); the per-rank block is total / n.
//   allreduce, broadcast, reduce, sendrecv: send = recv = total
//   reducescatter: send = n * block, recv = block
//   allgather:     send = block,     recv = n * block
//   alltoall:      send = recv = n * block (block elements to and from every rank)
struct BufferCounts {
  std::size_t send = 0;
  std::size_t recv = 0;
  std::size_t block = 0;  // per-rank block for the block collectives, else = send
};
BufferCounts buffer_counts(Collective c, std::size_t total, int n_ranks);

}  // namespace fb
