// The table of algorithms: {collective, name, uses a transport?, factory}. A new algorithm
// is one file plus one line in registry.cpp.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collectives/algorithm.hpp"

namespace fb {

struct AlgorithmEntry {
  Collective collective;
  std::string name;
  bool uses_transport;  // false: a baseline that ignores --transport and runs once
  std::string description;
  std::function<std::unique_ptr<Algorithm>(const AlgorithmContext&)> create;
};

const std::vector<AlgorithmEntry>& algorithm_registry();
const AlgorithmEntry* find_algorithm(Collective collective, const std::string& name);
// Every algorithm name known for any collective.
std::vector<std::string> algorithm_names();

}  // namespace fb
