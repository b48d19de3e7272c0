// Vocabulary shared by algorithms and the harness: collectives, datatypes, reduction ops.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fb {

enum class Collective { allreduce };
enum class DType { float32, float64 };
enum class ReduceOp { sum };

std::string_view to_string(Collective c);
std::string_view to_string(DType t);
std::string_view to_string(ReduceOp op);
// Short C-like name used in the stdout table ("float", "double"), as nccl-tests prints.
std::string_view short_name(DType t);

std::optional<Collective> parse_collective(std::string_view name);
std::optional<DType> parse_dtype(std::string_view name);
std::optional<ReduceOp> parse_op(std::string_view name);

std::vector<std::string> collective_names();
std::vector<std::string> dtype_names();
std::vector<std::string> op_names();

std::size_t dtype_size(DType t);

// busbw = algbw * factor: the fraction of the buffer each rank's busiest link carries,
// as nccl-tests defines it (all-reduce: 2(n-1)/n).
double busbw_factor(Collective c, int n_ranks);

}  // namespace fb
