// A single-process bootstrap, rank 0 of 1, for tests of code that needs a Bootstrap: the
// collective steps are no-ops (allgather copies this rank's part).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "core/bootstrap.hpp"

namespace fb {

class SoloBootstrap final : public Bootstrap {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allgather(std::span<const std::byte> mine, std::span<std::byte> all) override {
    std::copy(mine.begin(), mine.end(), all.begin());
  }
  void broadcast(std::span<std::byte> /*data*/, int /*root*/) override {}
  void barrier() override {}
  void barrier_progressing(const std::function<void()>& progress) override { progress(); }
  void allreduce_max(std::span<double> /*values*/) override {}
  void allreduce_sum(std::span<std::int64_t> /*values*/) override {}
  // There is no other rank to talk to.
  void send(std::span<const std::byte> /*data*/, int peer) override { no_peer(peer); }
  void receive(std::span<std::byte> /*data*/, int peer) override { no_peer(peer); }
  // The only rank is a subset of itself, or of none.
  std::unique_ptr<Bootstrap> split(bool member) override {
    return member ? std::make_unique<SoloBootstrap>() : nullptr;
  }
  void barrier_sleeping() override {}

 private:
  static void no_peer(int peer) {
    throw std::logic_error("solo bootstrap: no rank " + std::to_string(peer) + " to talk to");
  }
};

}  // namespace fb
