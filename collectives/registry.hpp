// The table of algorithms: {collective, name, uses a transport?, in place?, factory}. A new
// algorithm is one file plus one line in the registry file of its family:
//   registry_reduction.cpp  allreduce, reducescatter, allgather and the reduction baselines
//   registry_movement.cpp   broadcast, reduce, alltoall, sendrecv and their baselines
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collectives/algorithm.hpp"

namespace fb {

struct AlgorithmEntry {
  Collective collective = Collective::allreduce;
  std::string name;
  bool uses_transport = false;     // false: a baseline that ignores --transport and runs once
  bool supports_in_place = false;  // in-place calls (see CollArgs) are valid
  std::string description;
  std::function<std::unique_ptr<Algorithm>(const AlgorithmContext&)> create;
  // Which (dtype, op) pairs it handles; empty means all. Movement collectives ignore op.
  std::function<bool(DType, ReduceOp)> supports = {};
  // Runs on device buffers only (NCCL): planned for --memory cuda, never staged.
  bool device_only = false;

  bool handles(DType dtype, ReduceOp op) const { return !supports || supports(dtype, op); }
};

const std::vector<AlgorithmEntry>& algorithm_registry();
const AlgorithmEntry* find_algorithm(Collective collective, const std::string& name);
// Every algorithm name known for any collective.
std::vector<std::string> algorithm_names();

// The family tables the registry is assembled from.
std::vector<AlgorithmEntry> reduction_family_algorithms();
std::vector<AlgorithmEntry> movement_family_algorithms();

}  // namespace fb
