#include "collectives/types.hpp"

#include <array>
#include <utility>

namespace fb {

namespace {
constexpr std::array<std::pair<std::string_view, Collective>, 2> kCollectives{{
    {"allreduce", Collective::allreduce},
    {"all_reduce", Collective::allreduce},
}};
constexpr std::array<std::pair<std::string_view, DType>, 2> kDTypes{{
    {"float32", DType::float32},
    {"float64", DType::float64},
}};
constexpr std::array<std::pair<std::string_view, ReduceOp>, 1> kOps{{
    {"sum", ReduceOp::sum},
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
std::vector<std::string> canonical_names(const Table& table) {
  std::vector<std::string> names;
  for (const auto& [name, value] : table) {
    if (name_of(table, value) == name) names.emplace_back(name);
  }
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
    case DType::float32:
      return "float";
    case DType::float64:
      return "double";
  }
  return "?";
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
    case DType::float32:
      return 4;
    case DType::float64:
      return 8;
  }
  return 1;
}

double busbw_factor(Collective c, int n_ranks) {
  switch (c) {
    case Collective::allreduce:
      return n_ranks > 0 ? 2.0 * (n_ranks - 1) / n_ranks : 0.0;
  }
  return 1.0;
}

}  // namespace fb
