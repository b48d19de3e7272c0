#include "core/types.hpp"

#include <array>
#include <utility>

namespace fb {

namespace {
// The first spelling of each value is its canonical name.
constexpr std::array<std::pair<std::string_view, Collective>, 14> kCollectives{{
    {"allreduce", Collective::allreduce},
    {"all_reduce", Collective::allreduce},
    {"reducescatter", Collective::reducescatter},
    {"reduce_scatter", Collective::reducescatter},
    {"allgather", Collective::allgather},
    {"all_gather", Collective::allgather},
    {"broadcast", Collective::broadcast},
    {"bcast", Collective::broadcast},
    {"reduce", Collective::reduce},
    {"alltoall", Collective::alltoall},
    {"all_to_all", Collective::alltoall},
    {"sendrecv", Collective::sendrecv},
    {"send_recv", Collective::sendrecv},
    {"sendrecv_ring", Collective::sendrecv},
}};
constexpr std::array<std::pair<std::string_view, DType>, 16> kDTypes{{
    {"int8", DType::int8},
    {"uint8", DType::uint8},
    {"int32", DType::int32},
    {"uint32", DType::uint32},
    {"int64", DType::int64},
    {"uint64", DType::uint64},
    {"float16", DType::float16},
    {"bfloat16", DType::bfloat16},
    {"float32", DType::float32},
    {"float64", DType::float64},
    {"half", DType::float16},
    {"bf16", DType::bfloat16},
    {"float", DType::float32},
    {"double", DType::float64},
    {"int", DType::int32},
    {"char", DType::int8},
}};
constexpr std::array<std::pair<std::string_view, ReduceOp>, 5> kOps{{
    {"sum", ReduceOp::sum},
    {"prod", ReduceOp::prod},
    {"min", ReduceOp::min},
    {"max", ReduceOp::max},
    {"avg", ReduceOp::avg},
}};

template <typename Table, typename Value>
std::string_view name_of(const Table& table, Value v) {
  for (const auto& [name, value] : table) {
    if (value == v) return name;
  }
  return "?";
}

template <typename Table>
auto lookup(const Table& table, std::string_view name)
    -> std::optional<typename Table::value_type::second_type> {
  for (const auto& [n, value] : table) {
    if (n == name) return value;
  }
  return std::nullopt;
}

template <typename Table>
auto canonical_values(const Table& table) {
  std::vector<typename Table::value_type::second_type> values;
  for (const auto& [name, value] : table) {
    if (name_of(table, value) == name) values.push_back(value);
  }
  return values;
}

template <typename Table>
std::vector<std::string> canonical_names(const Table& table) {
  std::vector<std::string> names;
  for (const auto value : canonical_values(table))
    names.emplace_back(name_of(table, value));
  return names;
}
}  // namespace

std::string_view to_string(Collective c) {
  return name_of(kCollectives, c);
}
std::string_view to_string(DType t) {
  return name_of(kDTypes, t);
}
std::string_view to_string(ReduceOp op) {
  return name_of(kOps, op);
}

std::string_view short_name(DType t) {
  switch (t) {
    case DType::float16:
      return "half";
    case DType::bfloat16:
      return "bf16";
    case DType::float32:
      return "float";
    case DType::float64:
      return "double";
    default:
      return to_string(t);
  }
}

std::optional<Collective> parse_collective(std::string_view name) {
  return lookup(kCollectives, name);
}
std::optional<DType> parse_dtype(std::string_view name) {
  return lookup(kDTypes, name);
}
std::optional<ReduceOp> parse_op(std::string_view name) {
  return lookup(kOps, name);
}

std::vector<Collective> all_collectives() {
  return canonical_values(kCollectives);
}
std::vector<DType> all_dtypes() {
  return canonical_values(kDTypes);
}
std::vector<ReduceOp> all_ops() {
  return canonical_values(kOps);
}
std::vector<std::string> collective_names() {
  return canonical_names(kCollectives);
}
std::vector<std::string> dtype_names() {
  return canonical_names(kDTypes);
}
std::vector<std::string> op_names() {
  return canonical_names(kOps);
}

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::int8:
    case DType::uint8:
      return 1;
    case DType::float16:
    case DType::bfloat16:
      return 2;
    case DType::int32:
    case DType::uint32:
    case DType::float32:
      return 4;
    case DType::int64:
    case DType::uint64:
    case DType::float64:
      return 8;
  }
  return 1;
}

bool is_integer(DType t) {
  switch (t) {
    case DType::float16:
    case DType::bfloat16:
    case DType::float32:
    case DType::float64:
      return false;
    default:
      return true;
  }
}

bool is_signed(DType t) {
  return !(t == DType::uint8 || t == DType::uint32 || t == DType::uint64);
}

bool is_reduction(Collective c) {
  return c == Collective::allreduce || c == Collective::reducescatter || c == Collective::reduce;
}

bool is_rooted(Collective c) {
  return c == Collective::broadcast || c == Collective::reduce;
}

double busbw_factor(Collective c, int n_ranks) {
  if (n_ranks <= 0) return 0.0;
  const double n = n_ranks;
  switch (c) {
    case Collective::allreduce:
      return 2.0 * (n - 1) / n;
    case Collective::reducescatter:
    case Collective::allgather:
    case Collective::alltoall:
      return (n - 1) / n;
    case Collective::broadcast:
    case Collective::reduce:
    case Collective::sendrecv:
      return 1.0;
  }
  return 1.0;
}

BufferCounts buffer_counts(Collective c, std::size_t total, int n_ranks) {
  const auto n = static_cast<std::size_t>(n_ranks > 0 ? n_ranks : 1);
  const std::size_t block = total / n;
  switch (c) {
    case Collective::reducescatter:
      return {n * block, block, block};
    case Collective::allgather:
      return {block, n * block, block};
    case Collective::alltoall:
      return {n * block, n * block, block};
    default:
      return {total, total, total};
  }
}

}  // namespace fb
