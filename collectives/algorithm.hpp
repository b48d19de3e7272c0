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
#include "core/memory_steps.hpp"
#include "core/types.hpp"
#include "gpu/device.hpp"
#include "topologies/topology.hpp"
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
  // Who copies and reduces the buffers' bytes: null for host memory (the CPU), else the
  // device's steps (core/memory_steps.hpp). A call an algorithm makes on its own behalf
  // (a pass of a hierarchical collective) passes it on.
  MemorySteps* memory = nullptr;
};

// A pipelining parameter: its value, and whether the command line left it `auto`, so that
// the value for the path the transport reports replaces it (collectives/pipeline_defaults.hpp).
struct Tunable {
  std::size_t value = 0;
  bool automatic = false;
};

// Pipelining parameters, each named for the algorithms it governs; they are written into the
// results next to the numbers. One table (pipeline_options() in
// collectives/pipeline_defaults.hpp) gives each its flag, its bounds and its defaults.
struct AlgorithmOptions {
  // ring reduce-scatter, all-gather and all-reduce: bytes per segment, segments in flight
  Tunable ring_segment_bytes{std::size_t{256} << 10};
  Tunable ring_slots{2};
  // halving-doubling all-reduce: bytes per segment of an exchange, segments in flight
  Tunable hd_segment_bytes{std::size_t{256} << 10};
  Tunable hd_slots{2};
  // tree all-reduce, binomial and chain broadcast and reduce: bytes per chunk, chunks in
  // flight per link
  Tunable tree_chunk_bytes{std::size_t{256} << 10};
  Tunable tree_slots{4};
  // pairwise all-to-all: exchange steps in flight
  Tunable pairwise_window{2};
  int knomial_radix = 4;  // k-nomial trees: children per level (2..64; 2 is binomial)
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

namespace gpu {
class NcclComm;
}

struct AlgorithmContext {
  Bootstrap& bootstrap;
  Transport* transport = nullptr;  // null for baselines that bring their own communication
  AlgorithmOptions options;
  // Where the ranks sit: the order rings and trees visit them in, and which share a host
  // (--topology, --rank-order). Null: rank order, every rank on a host of its own.
  std::shared_ptr<const topo::RankLayout> layout{};
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
