// The table of transports the harness can select by name. Adding a transport means one
// implementation file pair and one line in registry.cpp.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transports/bootstrap.hpp"
#include "transports/transport.hpp"

namespace fb {

struct TransportEntry {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<Transport>(Bootstrap&)> create;
};

const std::vector<TransportEntry>& transport_registry();
// nullptr when no transport has that name.
const TransportEntry* find_transport(const std::string& name);
std::vector<std::string> transport_names();

}  // namespace fb
