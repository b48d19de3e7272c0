// The transports a run's series use, each set up once (collectively) on first use, with the
// host stores registered with every one of them. A transport that cannot start here is
// remembered with the reason, which rank 0 prints once.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>

#include "core/bootstrap.hpp"
#include "harness/faults/watchdog.hpp"
#include "transports/transport.hpp"

namespace fb {

class TransportSet {
 public:
  struct Entry {
    std::unique_ptr<Transport> transport;
    std::unique_ptr<MemoryRegion> send_region;  // the host stores, once registered
    std::unique_ptr<MemoryRegion> recv_region;
  };

  TransportSet(Bootstrap& bootstrap, Watchdog& watchdog)
      : bootstrap_(bootstrap), watchdog_(watchdog) {}

  // Collective on first use of `name`: the transport, or null when it cannot start here
  // (unavailable_reason() says why). Throws std::invalid_argument for an unknown name.
  Entry* get(const std::string& name);
  const std::string& unavailable_reason(const std::string& name) const {
    return unavailable_.at(name);
  }
  // Registers the host stores with every transport set up so far.
  void register_stores(std::span<std::byte> send, std::span<std::byte> recv);

 private:
  Bootstrap& bootstrap_;
  Watchdog& watchdog_;
  std::map<std::string, Entry> transports_;
  std::map<std::string, std::string> unavailable_;  // transport -> why it cannot start
};

}  // namespace fb
