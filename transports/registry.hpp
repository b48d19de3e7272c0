// The table of transports the harness can select by name. Adding a transport means one
// implementation file pair and one line in registry.cpp.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bootstrap.hpp"
#include "transports/transport.hpp"

namespace fb {

struct TransportEntry {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<Transport>(Bootstrap&)> create;
  // Why this transport cannot run on this machine (no device, ...); nullopt when it can.
  // Checked before any rank measures; `--transport all` skips unavailable transports.
  std::function<std::optional<std::string>()> unavailable = {};

  std::optional<std::string> unavailable_reason() const {
    return unavailable ? unavailable() : std::nullopt;
  }
};

const std::vector<TransportEntry>& transport_registry();
// nullptr when no transport has that name.
const TransportEntry* find_transport(const std::string& name);
std::vector<std::string> transport_names();
// The names of the transports that can run here.
std::vector<std::string> available_transport_names();

}  // namespace fb
