// All-to-all: pairwise exchange and Bruck.
//
// Pairwise: in step s (1..n-1) rank r sends block r+s to rank r+s and receives block r-s
// from rank r-s (mod n), so every step is a perfect matching of senders and receivers
// and no rank is the target of two senders at once. n = 4, step 1 and step 2:
//
//     r0 -> r1 -> r2 -> r3 -> r0          r0 <-> r2    r1 <-> r3
//
// `pairwise_window` steps are in flight at a time (posted in order, retired in order), which
// overlaps the latency of consecutive steps without flooding any receiver.
//
// Bruck (small blocks): rotate the blocks so that index i holds the block for rank r+i,
// then in round k (2^k < n) send every block whose index has bit k set, packed into one
// message, to rank r + 2^k, and receive the same indices from rank r - 2^k. A block moves
// by the sum of its index's bits, i.e. exactly to its destination; after the last round
// index i holds the block from rank r-i, and an inverse rotation puts it in place. n = 5:
//
//   round 0 (to r+1): indices 1 3     round 1 (to r+2): indices 2 3     round 2 (to r+4): 4
//
// ceil(log2 n) messages per rank instead of n-1, each about half the buffer.
#include "collectives/alltoall.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "collectives/exchange.hpp"
#include "collectives/pipeline.hpp"
#include "collectives/scratch.hpp"

namespace fb {

namespace {

// Local copy of this rank's own block; true when nothing else is left to do.
bool copy_own_block(const CollArgs& args, int r, int n, std::size_t block_bytes) {
  const std::size_t own = static_cast<std::size_t>(r) * block_bytes;
  copy_bytes(args, args.recv.bytes.data() + own, args.send.bytes.data() + own, block_bytes);
  settle(args);
  return n == 1;
}

class PairwiseAlltoall final : public Algorithm {
 public:
  explicit PairwiseAlltoall(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        window_(ctx.options.pairwise_window.value),
        timeout_(ctx.options.timeout) {
    if (window_ < 1) {
      throw std::invalid_argument("pairwise alltoall: at least 1 step must be in flight");
    }
  }

  Parameters parameters() const override {
    return {{"window", static_cast<std::int64_t>(window_)}};
  }

  void run(const CollArgs& args) override;

 private:
  Transport& transport_;
  std::size_t window_;
  std::chrono::milliseconds timeout_;
  Stream from_{transport_, "from rank r-s"};  // chunk i: step s = i + 1
  Stream to_{transport_, "to rank r+s"};
  std::uint64_t call_seq_ = 0;
};

void PairwiseAlltoall::run(const CollArgs& args) {
  const int n = transport_.size();
  const int r = transport_.rank();
  const std::size_t block_bytes = args.count / static_cast<std::size_t>(n) * dtype_size(args.dtype);
  if (block_bytes == 0 || copy_own_block(args, r, n, block_bytes)) return;
  // Each pair exchanges one message each way per call: one stream suffices.
  const Tag tag = make_tag(++call_seq_, 0);
  const std::size_t steps = static_cast<std::size_t>(n - 1);
  auto peer = [&](std::size_t i, int sign) {  // step s = i + 1
    return (r + sign * static_cast<int>(i + 1) + n) % n;
  };
  auto block = [&](const Buffer& buffer, int rank) {
    return at(buffer, static_cast<std::size_t>(rank) * block_bytes, block_bytes, rank);
  };
  from_.open(OpKind::recv, kPeerPerChunk, tag, window_, steps);
  to_.open(OpKind::send, kPeerPerChunk, tag, window_, steps);
  // `window` steps in flight: step i's receive, then its send, once step i - window is done.
  Progress loop(transport_, timeout_, "pairwise alltoall");
  loop.run(
      {&from_, &to_},
      [&] {
        const bool moved = from_.retire_until(steps);
        return to_.retire_until(steps) || moved;
      },
      [&] {
        from_.post_until(std::min(from_.retired(), to_.retired()) + window_,
                         [&](std::size_t i, std::size_t) { return block(args.recv, peer(i, -1)); });
        to_.post_until(from_.posted(),
                       [&](std::size_t i, std::size_t) { return block(args.send, peer(i, +1)); });
      });
}

// Bruck's scratch, one registered buffer cached across calls and grown on demand (never
// shrunk): [work: n blocks][outgoing pack: n/2 blocks][incoming pack: n/2 blocks], at most
// 2n blocks: twice the send buffer, per rank. A 1 MiB all-to-all holds 2 MiB of scratch
// until the algorithm is destroyed.
class BruckAlltoall final : public Algorithm {
 public:
  explicit BruckAlltoall(const AlgorithmContext& ctx)
      : transport_(*ctx.transport), timeout_(ctx.options.timeout) {}

  void run(const CollArgs& args) override;

 private:
  Transport& transport_;
  std::chrono::milliseconds timeout_;
  RegisteredScratch scratch_{transport_};
  Exchange exchange_{transport_, "bruck alltoall"};  // round k: to r+2^k, from r-2^k
  std::uint64_t call_seq_ = 0;
};

void BruckAlltoall::run(const CollArgs& args) {
  const int n = transport_.size();
  const int r = transport_.rank();
  const std::size_t un = static_cast<std::size_t>(n);
  const std::size_t block = args.count / un * dtype_size(args.dtype);  // bytes
  if (block == 0 || copy_own_block(args, r, n, block)) return;

  // A round moves the indices in 0..n-1 with one bit set: never more than n/2 of them.
  const std::size_t pack_blocks = un / 2;
  const std::size_t out_offset = un * block;
  const std::size_t in_offset = out_offset + pack_blocks * block;
  const Buffer whole = scratch_.reserve(in_offset + pack_blocks * block, args);
  std::byte* work = scratch_.data();
  std::byte* out = work + out_offset;
  const std::byte* in = work + in_offset;

  // Rotate: work[i] = the block for rank r + i.
  for (std::size_t i = 0; i < un; ++i)
    copy_bytes(args, work + i * block, args.send.bytes.data() + (r + i) % un * block, block);
  // Round k: the blocks whose index has bit 2^k set, packed in index order.
  auto for_each_moving = [&](std::size_t k, auto&& f) {
    const std::size_t bit = std::size_t{1} << k;
    std::size_t m = 0;
    for (std::size_t i = bit; i < un; ++i) {
      if ((i & bit) != 0) f(work + i * block, m++ * block);
    }
    return m * block;
  };
  exchange_.begin(timeout_);
  ++call_seq_;
  for (std::size_t k = 0; (std::size_t{1} << k) < un; ++k) {
    const std::size_t bytes = for_each_moving(
        k, [&](std::byte* b, std::size_t pos) { copy_bytes(args, out + pos, b, block); });
    settle(args);  // the pack (and the last round's unpack) before the exchange
    const int dist = 1 << k;
    const Tag tag = make_tag(call_seq_, static_cast<std::uint32_t>(k));
    exchange_.recv((r - dist + n) % n, tag, whole, in_offset, bytes);
    exchange_.send((r + dist) % n, tag, whole, out_offset, bytes);
    exchange_.wait("round", static_cast<int>(k));
    for_each_moving(k,
                    [&](std::byte* b, std::size_t pos) { copy_bytes(args, b, in + pos, block); });
  }

  // Inverse rotation: work[i] came from rank r - i, so block j is work[(r - j) mod n].
  for (std::size_t j = 0; j < un; ++j) {
    if (j == static_cast<std::size_t>(r)) continue;  // copied at the start
    const std::size_t i = (static_cast<std::size_t>(r) + un - j) % un;
    copy_bytes(args, args.recv.bytes.data() + j * block, work + i * block, block);
  }
  settle(args);
}

template <typename A>
std::unique_ptr<Algorithm> make_alltoall(const AlgorithmContext& ctx, const char* name) {
  if (ctx.transport == nullptr) {
    throw std::invalid_argument(std::string(name) + " alltoall needs a transport");
  }
  return std::make_unique<A>(ctx);
}

}  // namespace

std::unique_ptr<Algorithm> make_pairwise_alltoall(const AlgorithmContext& ctx) {
  return make_alltoall<PairwiseAlltoall>(ctx, "pairwise");
}

std::unique_ptr<Algorithm> make_bruck_alltoall(const AlgorithmContext& ctx) {
  return make_alltoall<BruckAlltoall>(ctx, "bruck");
}

}  // namespace fb
