// Recursive halving / doubling all-reduce (Rabenseifner), for any rank count.
//
// The fold of a rank count that is not a power of two and the partner of every step are in
// topologies/halving_doubling.hpp. The p participants reduce-scatter by recursive halving
// (swap half of the current range with the partner, add what arrives: after log2(p) steps a
// participant owns its block) and all-gather by recursive doubling (swap the whole range,
// doubling it); each folded pair's odd rank then hands the result to its even partner.
//
// Each exchange is cut into segments with `slots` in flight, received into scratch and
// reduced segment by segment, so the scratch stays slots x segment whatever the size.
#include "collectives/halving_doubling.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "collectives/pipeline.hpp"
#include "collectives/scratch.hpp"
#include "topologies/halving_doubling.hpp"
#include "topologies/ring.hpp"

namespace fb {

namespace {

class HalvingDoubling final : public Algorithm {
 public:
  explicit HalvingDoubling(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        segment_bytes_(ctx.options.hd_segment_bytes.value),
        slots_(ctx.options.hd_slots.value),
        timeout_(ctx.options.timeout),
        scratch_(transport_, segment_bytes_ * slots_) {
    if (slots_ < 2) throw std::invalid_argument("halving-doubling: at least 2 segments in flight");
    if (segment_bytes_ < 64)
      throw std::invalid_argument("halving-doubling: segment must be >= 64 bytes");
  }

  Parameters parameters() const override {
    return {{"segment_bytes", static_cast<std::int64_t>(segment_bytes_)},
            {"slots", static_cast<std::int64_t>(slots_)}};
  }

  void run(const CollArgs& args) override;

 private:
  // What an exchange sends: `bytes` (possibly 0) of `buffer` at `offset`.
  struct Outgoing {
    const Buffer* buffer = nullptr;
    std::size_t offset = 0;
    std::size_t bytes = 0;
  };
  // What it receives: `bytes`, either reduced into dst = own op incoming (reduce_dst set) or
  // landed in `buffer` at `offset`.
  struct Incoming {
    const Buffer* buffer = nullptr;
    std::size_t offset = 0;
    std::byte* reduce_dst = nullptr;
    const std::byte* reduce_own = nullptr;
    std::size_t bytes = 0;
  };
  // One segmented exchange with `peer`, `slots` segments in flight each way.
  void exchange(int peer, Tag tag, const Outgoing& out, const Incoming& in,
                const ReduceStep& reduce, std::size_t esize, const char* during);

  Transport& transport_;
  std::size_t segment_bytes_;
  std::size_t slots_;
  std::chrono::milliseconds timeout_;
  RegisteredScratch scratch_;  // incoming segments to reduce, one per slot
  Stream to_partner_{transport_, "to partner"};
  Stream from_partner_{transport_, "from partner"};
  std::uint64_t call_seq_ = 0;
};

void HalvingDoubling::exchange(int peer, Tag tag, const Outgoing& out, const Incoming& in,
                               const ReduceStep& reduce, std::size_t esize, const char* during) {
  const auto sends = Chunking::fixed(out.bytes / esize, segment_bytes_, esize);
  const auto recvs = Chunking::fixed(in.bytes / esize, segment_bytes_, esize);
  const bool reducing = in.reduce_dst != nullptr;
  auto slot = [&](std::size_t j) { return j % slots_ * segment_bytes_; };
  from_partner_.open(OpKind::recv, peer, tag, slots_, recvs.count);
  to_partner_.open(OpKind::send, peer, tag, slots_, sends.count);
  Progress loop(transport_, timeout_, during);
  loop.run(
      {&from_partner_, &to_partner_},
      [&] {
        const bool moved = from_partner_.retire_next(recvs.count, [&](std::size_t j) {
          const std::size_t off = recvs.offset(j) * esize;
          if (reducing) {
            reduce.combine(in.reduce_dst + off, in.reduce_own + off, scratch_.data() + slot(j),
                           recvs.size(j));
            reduce.sync();  // the slot takes the next segment once this one is reduced
          }
        });
        return to_partner_.retire_until(sends.count) || moved;
      },
      [&] {
        from_partner_.post_until(recvs.count, [&](std::size_t j, std::size_t) {
          if (reducing) return Place{&scratch_.region(), slot(j), recvs.size(j) * esize};
          return at(*in.buffer, in.offset + recvs.offset(j) * esize, recvs.size(j) * esize);
        });
        to_partner_.post_until(sends.count, [&](std::size_t j, std::size_t) {
          return at(*out.buffer, out.offset + sends.offset(j) * esize, sends.size(j) * esize);
        });
      });
  reduce.sync();
}

// Blocks [lo, hi) of `count` elements split into p blocks: {offset, length} in bytes.
std::pair<std::size_t, std::size_t> byte_span(std::size_t count, int p, std::size_t esize,
                                              topo::BlockRange blocks) {
  const auto first = topo::ring_block(count, p, blocks.lo);
  const auto last = topo::ring_block(count, p, blocks.hi - 1);
  return {first.offset * esize, (last.offset + last.count - first.offset) * esize};
}

void HalvingDoubling::run(const CollArgs& args) {
  const int n = transport_.size();
  const std::size_t es = dtype_size(args.dtype);
  const std::size_t bytes = args.count * es;
  std::byte* out = args.recv.bytes.data();
  const std::byte* in = args.send.bytes.data();
  if (args.count == 0) return;
  if (n == 1) {
    copy_bytes(args, out, in, bytes);
    settle(args);
    return;
  }
  const ReduceStep reduce(args, n);
  scratch_.reserve(segment_bytes_ * slots_, args);
  ++call_seq_;
  const Tag fold_tag = make_tag(call_seq_, 0);
  const Tag unfold_tag = make_tag(call_seq_, 255);
  std::uint32_t step = 1;  // the tag of every later exchange
  const auto fold = topo::hd_fold(transport_.rank(), n);
  using Role = topo::HdFold::Role;
  // Fold: even ranks of a pair hand everything to their odd partner and wait for the result.
  if (fold.role == Role::hands_over) {
    exchange(fold.partner, fold_tag, {&args.send, 0, bytes}, {}, reduce, es,
             "halving-doubling allreduce (fold-in send)");
    exchange(fold.partner, unfold_tag, {&args.send, 0, 0}, {&args.recv, 0, nullptr, nullptr, bytes},
             reduce, es, "halving-doubling allreduce (result from partner)");
    return;
  }
  if (fold.role == Role::takes_in) {
    exchange(fold.partner, fold_tag, {&args.send, 0, 0}, {nullptr, 0, out, in, bytes}, reduce, es,
             "halving-doubling allreduce (fold-in receive)");
  }
  bool in_output = fold.role == Role::takes_in;  // does `out` hold our partial sums yet?
  auto span_of = [&](topo::BlockRange blocks) { return byte_span(args.count, fold.p, es, blocks); };
  // Reduce-scatter by recursive halving.
  topo::BlockRange range{0, fold.p};
  for (int d = fold.p / 2; d >= 1; d /= 2) {
    const auto h = topo::hd_halving_step(fold.new_rank, n, range, d);
    const auto [keep_off, keep_len] = span_of(h.keep);
    const auto [give_off, give_len] = span_of(h.give);
    exchange(h.partner, make_tag(call_seq_, step++),
             {in_output ? &args.recv : &args.send, give_off, give_len},
             {nullptr, 0, out + keep_off, (in_output ? out : in) + keep_off, keep_len}, reduce, es,
             "halving-doubling allreduce (recursive halving)");
    in_output = true;
    range = h.keep;
  }
  const auto [own_off, own_len] = span_of(range);
  reduce.finalize(out + own_off, own_len / es);  // our block is complete: finish it (avg) once
  reduce.sync();                                 // before the doubling sends it
  // All-gather by recursive doubling.
  for (int d = 1; d < fold.p; d *= 2) {
    const auto g = topo::hd_doubling_step(fold.new_rank, n, range, d);
    const auto [mine_off, mine_len] = span_of(range);
    const auto [other_off, other_len] = span_of(g.other);
    exchange(g.partner, make_tag(call_seq_, step++), {&args.recv, mine_off, mine_len},
             {&args.recv, other_off, nullptr, nullptr, other_len}, reduce, es,
             "halving-doubling allreduce (recursive doubling)");
    range = g.merged;
  }
  // Unfold: hand the result to the even partner.
  if (fold.role == Role::takes_in) {
    exchange(fold.partner, unfold_tag, {&args.recv, 0, bytes}, {}, reduce, es,
             "halving-doubling allreduce (result to partner)");
  }
}

}  // namespace

std::unique_ptr<Algorithm> make_halving_doubling_allreduce(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) throw std::invalid_argument("halving-doubling needs a transport");
  return std::make_unique<HalvingDoubling>(ctx);
}

}  // namespace fb
