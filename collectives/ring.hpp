#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "collectives/algorithm.hpp"
#include "collectives/pipeline.hpp"
#include "collectives/scratch.hpp"

namespace fb {

// Which halves of a ring all-reduce a pass runs: the hierarchical all-reduce runs the
// reduce-scatter alone inside a host, then the all-gather alone.
struct RingPhases {
  bool reduce_scatter = true;
  bool all_gather = true;
};

// The ring engine behind the ring algorithms, over any group of ranks: `members` lists the
// ranks in ring order, this rank among them. Reduce-scatter and all-gather label block r
// as rank r's whatever the order (Blocks::by_rank), or as the r-th member's
// (Blocks::by_place: a group's buffer of members.size() blocks, as the hierarchical
// collectives pass); all-reduce's blocks follow the ring. `divisor` is what avg
// divides the fully reduced elements by (0: leave them summed, for a pass whose result is
// reduced further). `channel` keeps the tags of engines that share a transport apart.
class RingEngine {
 public:
  enum class Mode : unsigned char { allreduce, reducescatter, allgather };
  enum class Blocks : unsigned char { by_rank, by_place };
  RingEngine(Transport& transport, Mode mode, std::size_t segment_bytes, std::size_t slots,
             std::chrono::milliseconds timeout, int channel, Blocks blocks = Blocks::by_rank);
  void run(const CollArgs& args, const std::vector<int>& members, RingPhases phases, int divisor);
  Parameters parameters() const;

 private:
  Mode mode_;
  Blocks blocks_;
  Transport& transport_;
  std::size_t segment_bytes_;
  std::size_t slots_;
  std::chrono::milliseconds timeout_;
  int channel_;
  RegisteredScratch scratch_;  // incoming segments to reduce, one per slot
  // Partial sums of a stand-alone reduce-scatter live here between steps (its output holds
  // one block only). Grows to the largest input seen.
  RegisteredScratch work_{transport_};
  Stream from_left_{transport_, "from left"};
  Stream to_right_{transport_, "to right"};
  std::uint64_t call_seq_ = 0;
};

std::unique_ptr<Algorithm> make_ring_allreduce(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_ring_reducescatter(const AlgorithmContext& ctx);
std::unique_ptr<Algorithm> make_ring_allgather(const AlgorithmContext& ctx);
}  // namespace fb
