// Algorithm: one collective, one named strategy. The harness enumerates them through the
// registry (collectives/registry.hpp) and drives them through run().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "collectives/types.hpp"
#include "transports/bootstrap.hpp"
#include "transports/transport.hpp"

namespace fb {

// A caller-owned buffer and, for transport-based algorithms, its registration.
struct Buffer {
  std::span<std::byte> bytes;
  const MemoryRegion* region = nullptr;
};

struct CollArgs {
  Buffer send;  // send.bytes.data() == recv.bytes.data() means in place
  Buffer recv;
  std::size_t count = 0;  // elements per rank's buffer
  DType dtype = DType::float32;
  ReduceOp op = ReduceOp::sum;
  int root = 0;
};

// Pipelining parameters. They are written into the results next to the numbers.
struct AlgorithmOptions {
  std::size_t ring_segment_bytes = std::size_t{256} << 10;  // ring: bytes per message
  int ring_slots = 2;                                       // ring: segments in flight (>= 2)
  std::size_t tree_chunk_bytes = std::size_t{256} << 10;    // tree: bytes per pipelined chunk
  int tree_slots = 4;  // tree: chunks in flight per link (>= 1)
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

struct AlgorithmContext {
  Bootstrap& bootstrap;
  Transport* transport = nullptr;  // null for baselines that bring their own communication
  AlgorithmOptions options;
};

using Parameters = std::vector<std::pair<std::string, std::int64_t>>;

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  // One collective call. Every rank calls it with the same count, dtype, op and root.
  virtual void run(const CollArgs& args) = 0;
  // The pipelining parameters in effect, for the results file.
  virtual Parameters parameters() const { return {}; }
};

}  // namespace fb
