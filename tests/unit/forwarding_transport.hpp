// A transport that hands every call to another one; a test derives from it and overrides the
// calls it watches or changes (counting the bytes sent, refusing device memory, ...).
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "transports/transport.hpp"

namespace fb {

class ForwardingTransport : public Transport {
 public:
  explicit ForwardingTransport(Transport& inner) : inner_(inner) {}
  std::string_view name() const override { return inner_.name(); }
  TransportCapabilities capabilities() const override { return inner_.capabilities(); }
  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) override {
    return inner_.register_memory(bytes);
  }
  Request isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override {
    return inner_.isend(peer, tag, region, offset, bytes);
  }
  Request irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override {
    return inner_.irecv(peer, tag, region, offset, bytes);
  }
  void progress() override { inner_.progress(); }
  bool test(Request& req) override { return inner_.test(req); }

 protected:
  Transport& inner_;
};

}  // namespace fb
