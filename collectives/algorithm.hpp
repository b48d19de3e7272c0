// Algorithm: one collective, one named strategy. The harness enumerates them through the
// registry (collectives/registry.hpp) and drives them through run().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/bootstrap.hpp"
#include "core/types.hpp"
#include "gpu/device.hpp"
#include "transports/transport.hpp"

namespace fb {

// A caller-owned buffer and, for transport-based algorithms, its registration. The
// registered region may be larger than the buffer (an in-place reduce-scatter's output is
// one block of the input buffer): transport offsets are region offsets, see region_offset.
struct Buffer {
  std::span<std::byte> bytes;
  const MemoryRegion* region = nullptr;

  // Offset in `region` of byte `offset` of this buffer.
  std::size_t region_offset(std::size_t offset) const {
    return static_cast<std::size_t>(bytes.data() - region->bytes().data()) + offset;
  }
};

// One collective call. `count` is the nccl-tests "count": the element count of the larger
// buffer; buffer_counts(collective, count, n) gives the send and receive counts and the
// per-rank block (core/types.hpp). In place means, as in MPI and NCCL:
//   allreduce, broadcast, reduce: send and recv are the same buffer;
//   reducescatter: recv is block `rank` of send;
//   allgather: send is block `rank` of recv.
struct CollArgs {
  Buffer send;
  Buffer recv;
  std::size_t count = 0;
  DType dtype = DType::float32;
  ReduceOp op = ReduceOp::sum;
  int root = 0;  // broadcast and reduce
};

// Pipelining parameters. They are written into the results next to the numbers. Those marked
// `auto` (the command line's default) are replaced by the values for the path the transport
// reports (collectives/pipeline_defaults.hpp); the others are used as they are.
struct AlgorithmOptions {
  std::size_t ring_segment_bytes = std::size_t{256} << 10;  // ring: bytes per message
  int ring_slots = 2;                                       // ring: segments in flight (>= 2)
  std::size_t tree_chunk_bytes = std::size_t{256} << 10;    // tree: bytes per pipelined chunk
  int tree_slots = 4;     // tree: chunks in flight per link (>= 1)
  int knomial_radix = 4;  // k-nomial trees: children per level (2..64; 2 is binomial)
  bool ring_segment_auto = false;
  bool ring_slots_auto = false;
  bool tree_chunk_auto = false;
  bool tree_slots_auto = false;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

namespace gpu {
class NcclComm;
}

struct AlgorithmContext {
  Bootstrap& bootstrap;
  Transport* transport = nullptr;  // null for baselines that bring their own communication
  AlgorithmOptions options;
  // Device-only algorithms (NCCL): the communicator and the stream they run on.
  gpu::NcclComm* nccl = nullptr;
  gpu::StreamHandle stream = nullptr;
};

using Parameters = std::vector<std::pair<std::string, std::int64_t>>;

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  // One collective call. Every rank calls it with the same count, dtype, op and root.
  virtual void run(const CollArgs& args) = 0;
  // The pipelining parameters in effect, for the results file.
  virtual Parameters parameters() const { return {}; }
  // How those parameters were chosen, in words (empty: the algorithm has none).
  virtual std::string parameters_origin() const { return {}; }
  // Device-timed algorithms: the last run()'s time between CUDA events on its stream, in
  // microseconds; the harness uses it instead of the host clock. Empty: host-timed.
  virtual std::optional<double> device_time_us() const { return std::nullopt; }
};

}  // namespace fb
