#include "harness/transport_set.hpp"

#include <cstdio>
#include <stdexcept>
#include <utility>

#include "transports/error.hpp"
#include "transports/registry.hpp"

namespace fb {

TransportSet::Entry* TransportSet::get(const std::string& name) {
  if (auto it = transports_.find(name); it != transports_.end()) return &it->second;
  if (unavailable_.count(name) != 0) return nullptr;
  const auto* entry = find_transport(name);
  if (entry == nullptr) throw std::invalid_argument("unknown transport '" + name + "'");
  watchdog_.set_activity("setting up the " + name + " transport");
  watchdog_.kick();
  Entry state;
  try {
    state.transport = entry->create(bootstrap_);
  } catch (const TransportUnavailable& e) {
    // Every rank got here with the same verdict (the transport agrees before throwing).
    watchdog_.pause();
    unavailable_.emplace(name, e.what());
    if (bootstrap_.rank() == 0) {
      std::fprintf(stderr,
                   "fabricbench: the %s transport cannot start here; its series are recorded as "
                   "skipped: %s\n",
                   name.c_str(), e.what());
    }
    return nullptr;
  }
  watchdog_.pause();
  return &transports_.emplace(name, std::move(state)).first->second;
}

void TransportSet::register_stores(std::span<std::byte> send, std::span<std::byte> recv) {
  for (auto& [name, state] : transports_) {
    state.send_region = state.transport->register_memory(send);
    state.recv_region = state.transport->register_memory(recv);
  }
}

}  // namespace fb
