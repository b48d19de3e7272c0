// Ring reduce-scatter, all-gather, and all-reduce (the one followed by the other), pipelined
// in segments.
//
// The buffer is n blocks. In reduce-scatter step s (0..n-2) rank r sends one block to its
// right neighbour and receives the next lower block from its left, adding its own input to
// it; after n-1 steps it owns one fully reduced block. In all-gather step t (0..n-2) it
// sends the block it got last and receives the next one in place. n = 4, all-reduce's
// reduce-scatter step 0:
//
//     r0 --b0--> r1 --b1--> r2 --b2--> r3 --b3--> r0
//
// Each rank sends (n-1)/n of the buffer per phase, the bandwidth optimum. Every block is
// cut into S segments and the messages form one stream per link, numbered
// i = step * S + segment. Message i may leave as soon as message i - S (the same segment
// one step earlier) has arrived and been reduced, so later steps overlap the reduction of
// earlier ones; `slots` segments are in flight each way.
//
// Which block a step moves: topo::ring_step (topologies/ring.hpp).
#include "collectives/ring.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "collectives/layout.hpp"
#include "collectives/pipeline.hpp"
#include "collectives/scratch.hpp"
#include "topologies/ring.hpp"

namespace fb {

namespace {

using RingMode = RingEngine::Mode;

// One call's layout: n blocks, S segments per block, messages i = step * S + segment.
// Positions are places on the ring; `label(p)` is the block position p's rank owns in the
// buffer's layout (reduce-scatter and all-gather: its rank; all-reduce: the position).
struct Layout {
  RingMode mode;
  RingEngine::Blocks labels;
  const std::vector<int>& members;
  int pos, n;
  std::size_t esize, count, block_elems;
  std::size_t S = 1, seg_elems = 0, rs_steps = 0, rs_items = 0, total = 0;

  Layout(RingMode m, RingEngine::Blocks by, const std::vector<int>& ring, int position,
         const CollArgs& args, std::size_t segment_bytes, const BufferCounts& counts,
         RingPhases phases)
      : mode(m),
        labels(by),
        members(ring),
        pos(position),
        n(static_cast<int>(ring.size())),
        esize(dtype_size(args.dtype)),
        count(args.count),
        block_elems(counts.block) {
    const auto steps = static_cast<std::size_t>(n - 1);
    // Segments: S per block, of at most segment_bytes, evened out over the largest block.
    const auto segments = Chunking::even(block(0).count, segment_bytes, esize);
    S = std::max<std::size_t>(1, segments.count);
    seg_elems = segments.chunk_elems;
    const bool rs =
        mode == RingMode::allreduce ? phases.reduce_scatter : mode == RingMode::reducescatter;
    const bool ag = mode == RingMode::allreduce ? phases.all_gather : mode == RingMode::allgather;
    rs_steps = rs ? steps : 0;
    rs_items = rs_steps * S;
    total = (rs_steps + (ag ? steps : 0)) * S;
  }
  // Block of position b in elements: all-reduce splits its buffer as evenly as it can; the
  // block collectives have blocks of exactly block_elems, block r being rank r's (by_rank)
  // or the r-th member's (by_place).
  topo::Block block(int b) const {
    if (mode == RingMode::allreduce) return topo::ring_block(count, n, b);
    const int label =
        labels == RingEngine::Blocks::by_place ? b : members[static_cast<std::size_t>(b)];
    return {static_cast<std::size_t>(label) * block_elems, block_elems};
  }
  // Message i's bytes in the n-block layout: {offset, length}.
  std::pair<std::size_t, std::size_t> piece(std::size_t i, bool sending) const {
    const std::size_t step = i / S;
    const bool rs = step < rs_steps;
    const auto blocks = topo::ring_step(
        rs ? topo::RingPhase::reduce_scatter : topo::RingPhase::all_gather,
        mode == RingMode::allreduce, pos, n, static_cast<long long>(rs ? step : step - rs_steps));
    const auto b = block(sending ? blocks.send : blocks.recv);
    const std::size_t start = std::min(i % S * seg_elems, b.count);
    return {(b.offset + start) * esize, std::min(seg_elems, b.count - start) * esize};
  }
};

Collective collective_of(RingMode mode) {
  return mode == RingMode::allreduce   ? Collective::allreduce
         : mode == RingMode::allgather ? Collective::allgather
                                       : Collective::reducescatter;
}

const char* name_of(RingMode mode) {
  return mode == RingMode::allreduce   ? "ring allreduce"
         : mode == RingMode::allgather ? "ring allgather"
                                       : "ring reducescatter";
}

}  // namespace

RingEngine::RingEngine(Transport& transport, Mode mode, std::size_t segment_bytes,
                       std::size_t slots, std::chrono::milliseconds timeout, int channel,
                       Blocks blocks)
    : mode_(mode),
      blocks_(blocks),
      transport_(transport),
      segment_bytes_(segment_bytes),
      slots_(slots),
      timeout_(timeout),
      channel_(channel),
      scratch_(transport_, mode == Mode::allgather ? 0 : segment_bytes_ * slots_) {
  if (slots_ < 2) throw std::invalid_argument("ring: at least 2 segments must be in flight");
  if (segment_bytes_ < 64) throw std::invalid_argument("ring: segment size must be >= 64 bytes");
}

void RingEngine::run(const CollArgs& args, const std::vector<int>& members, RingPhases phases,
                     int divisor) {
  const int n = static_cast<int>(members.size());
  const auto me = std::find(members.begin(), members.end(), transport_.rank());
  if (me == members.end()) throw std::logic_error("ring: this rank is not on the ring");
  const int pos = static_cast<int>(me - members.begin());
  const auto counts = buffer_counts(collective_of(mode_), args.count, n);
  if (counts.send == 0 || counts.recv == 0) return;
  const Layout lay(mode_, blocks_, members, pos, args, segment_bytes_, counts, phases);
  const std::size_t esize = lay.esize;
  const std::size_t own = lay.block(pos).offset * esize;  // where this rank's block starts
  const std::size_t rs_items = lay.rs_items;
  const bool allgather = mode_ == RingMode::allgather;
  std::byte* out = args.recv.bytes.data();
  const std::byte* in = args.send.bytes.data();
  const ReduceStep reduce(args, std::max(divisor, 1));
  if (n == 1) {
    // A ring of one: the input is the result (its block 0 by place; rank r's block r by
    // rank, which on a one-rank ring is the whole buffer). Avg still divides by `divisor`:
    // a one-member pass of a hierarchical collective completes a sum over other hosts.
    copy_bytes(args, out, in, counts.recv * esize);
    const bool reduces =
        mode_ == RingMode::reducescatter || (mode_ == RingMode::allreduce && phases.reduce_scatter);
    if (reduces && divisor > 1) reduce.finalize(out, counts.recv);
    reduce.sync();
    return;
  }
  if (allgather) copy_bytes(args, out + own, in, counts.block * esize);  // settled below
  if (mode_ != RingMode::allgather) scratch_.reserve(segment_bytes_ * slots_, args);
  const Buffer work =
      mode_ == RingMode::reducescatter ? work_.reserve(counts.send * esize, args) : args.recv;
  const auto [left_pos, right_pos] = topo::ring_neighbours(pos, n);
  const int left = members[static_cast<std::size_t>(left_pos)];
  const int right = members[static_cast<std::size_t>(right_pos)];
  const Tag tag = make_tag(++call_seq_, channel_);
  from_left_.open(OpKind::recv, left, tag, slots_, lay.total);
  to_right_.open(OpKind::send, right, tag, slots_, lay.total);

  Progress loop(transport_, timeout_, name_of(mode_), /*early_clock=*/true);
  loop.run(
      {&from_left_, &to_right_},
      [&] {
        // One arrived segment per poll: reduced, then its send posted before the next.
        const bool moved = from_left_.retire_next(lay.total, [&](std::size_t i) {
          if (i >= rs_items) return;
          const auto [offset, bytes] = lay.piece(i, false);
          const bool last = i >= rs_items - lay.S;  // this block is complete after this step
          std::byte* dst = mode_ != RingMode::reducescatter ? out + offset
                           : last                           ? out + (offset - own)
                                                            : work.bytes.data() + offset;
          reduce.combine(dst, in + offset, scratch_.data() + i % slots_ * segment_bytes_,
                         bytes / esize);
          if (last && divisor > 0) reduce.finalize(dst, bytes / esize);
          reduce.sync();
        });
        return to_right_.retire_until(lay.total) || moved;
      },
      [&] {
        // Reduce-scatter segments land in scratch slots, all-gather ones in place; in an
        // all-reduce the latter only once the send that read the same bytes has finished.
        from_left_.post_until(
            rs_items == 0 ? lay.total : to_right_.retired() + rs_items,
            [&](std::size_t i, std::size_t) {
              const auto [offset, bytes] = lay.piece(i, false);
              if (i < rs_items)
                return Place{&scratch_.region(), i % slots_ * segment_bytes_, bytes};
              return at(args.recv, offset, bytes);
            });
        // Message i leaves once message i - S (the same segment a step earlier) is reduced;
        // the first step sends the input, later ones the partial sums, the all-gather the
        // output.
        to_right_.post_until(from_left_.retired() + lay.S, [&](std::size_t i, std::size_t) {
          const auto [offset, bytes] = lay.piece(i, true);
          // (An all-gather-only pass of an all-reduce starts from the reduced output.)
          if (i < lay.S && (rs_items > 0 || allgather))
            return at(args.send, allgather ? offset - own : offset, bytes);
          return at(i < rs_items ? work : args.recv, offset, bytes);
        });
      });
  settle(args);
}

Parameters RingEngine::parameters() const {
  return {{"segment_bytes", static_cast<std::int64_t>(segment_bytes_)},
          {"slots", static_cast<std::int64_t>(slots_)}};
}

namespace {

// The ring algorithms: one engine over every rank, in the layout's order.
class Ring final : public Algorithm {
 public:
  Ring(const AlgorithmContext& ctx, RingMode mode)
      : engine_(*ctx.transport, mode, ctx.options.ring_segment_bytes.value,
                ctx.options.ring_slots.value, ctx.options.timeout, 0),
        members_(context_layout(ctx).order) {}
  Parameters parameters() const override { return engine_.parameters(); }
  void run(const CollArgs& args) override {
    engine_.run(args, members_, {}, static_cast<int>(members_.size()));
  }

 private:
  RingEngine engine_;
  std::vector<int> members_;
};

std::unique_ptr<Algorithm> make_ring(const AlgorithmContext& ctx, RingMode mode) {
  if (ctx.transport == nullptr) throw std::invalid_argument("ring needs a transport");
  return std::make_unique<Ring>(ctx, mode);
}

}  // namespace

std::unique_ptr<Algorithm> make_ring_allreduce(const AlgorithmContext& ctx) {
  return make_ring(ctx, RingMode::allreduce);
}
std::unique_ptr<Algorithm> make_ring_reducescatter(const AlgorithmContext& ctx) {
  return make_ring(ctx, RingMode::reducescatter);
}
std::unique_ptr<Algorithm> make_ring_allgather(const AlgorithmContext& ctx) {
  return make_ring(ctx, RingMode::allgather);
}

}  // namespace fb
