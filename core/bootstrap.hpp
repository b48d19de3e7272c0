// Bootstrap: how ranks find each other and agree, outside the measured data path.
// Real runs use MpiBootstrap (ranks launched by mpirun or srun).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fb {

// The running kernel's boot id (the host name where it cannot be read): ranks that share it
// share one machine's CPUs and memory, whatever their host names say (containers and network
// namespaces on one machine have names of their own).
std::string kernel_boot_id();

class Bootstrap {
 public:
  virtual ~Bootstrap() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Every rank contributes mine.size() bytes (the same size on every rank); `all` receives
  // size() * mine.size() bytes in rank order.
  virtual void allgather(std::span<const std::byte> mine, std::span<std::byte> all) = 0;
  virtual void broadcast(std::span<std::byte> data, int root) = 0;
  virtual void barrier() = 0;
  // A barrier that keeps calling `progress` while it waits, for transports whose peers
  // need this rank's progress to finish (closing UCX endpoints, for one).
  virtual void barrier_progressing(const std::function<void()>& progress) = 0;
  // Element-wise maximum / sum across ranks, result on every rank.
  virtual void allreduce_max(std::span<double> values) = 0;
  virtual void allreduce_sum(std::span<std::int64_t> values) = 0;
  // Point to point, blocking, outside the measured data path (the clock synchronisation of
  // --timing window): send `data` to `peer`; receive exactly data.size() bytes from `peer`.
  // Messages between two ranks arrive in the order they were sent.
  virtual void send(std::span<const std::byte> data, int peer) = 0;
  virtual void receive(std::span<std::byte> data, int peer) = 0;

  // Collective over every rank: a bootstrap of its own over the ranks that pass
  // member = true, numbered in the order of their ranks here; null on the other ranks. The
  // node subsets of a topology sweep measure on one each. The default throws
  // std::logic_error: a bootstrap that cannot split says so.
  virtual std::unique_ptr<Bootstrap> split(bool member);
  // A barrier that waits without spinning (it sleeps between checks), for ranks that wait
  // while others measure and must not take their cores. The default: barrier_progressing
  // with a progress step that sleeps a millisecond.
  virtual void barrier_sleeping();

  // Convenience built on allgather: variable-length byte strings from every rank.
  std::vector<std::vector<std::byte>> allgather_variable(std::span<const std::byte> mine);
  std::vector<std::string> allgather_strings(const std::string& mine);
};

}  // namespace fb
