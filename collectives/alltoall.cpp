// All-to-all: pairwise exchange and Bruck.
//
// Pairwise: in step s (1..n-1) rank r sends block r+s to rank r+s and receives block r-s
// from rank r-s (mod n), so every step is a perfect matching of senders and receivers
// and no rank is the target of two senders at once. n = 4, step 1 and step 2:
//
//     r0 -> r1 -> r2 -> r3 -> r0          r0 <-> r2    r1 <-> r3
//
// `ring_slots` steps are in flight at a time (posted in order, retired in order), which
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
#include <vector>

#include "collectives/aligned_buffer.hpp"

namespace fb {

namespace {

// Local copy of this rank's own block; true when nothing else is left to do.
bool copy_own_block(const CollArgs& args, int r, int n, std::size_t block_bytes) {
  const std::size_t own = static_cast<std::size_t>(r) * block_bytes;
  std::memcpy(args.recv.bytes.data() + own, args.send.bytes.data() + own, block_bytes);
  return n == 1;
}

class PairwiseAlltoall final : public Algorithm {
 public:
  explicit PairwiseAlltoall(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        window_(static_cast<std::size_t>(std::max(ctx.options.ring_slots, 0))),
        timeout_(ctx.options.timeout),
        send_reqs_(window_),
        recv_reqs_(window_) {
    if (ctx.options.ring_slots < 1) {
      throw std::invalid_argument("pairwise alltoall: at least 1 step must be in flight");
    }
  }

  Parameters parameters() const override { return {{"slots", static_cast<std::int64_t>(window_)}}; }

  void run(const CollArgs& args) override;

 private:
  Transport& transport_;
  std::size_t window_;
  std::chrono::milliseconds timeout_;
  std::vector<Request> send_reqs_;  // [step % window]
  std::vector<Request> recv_reqs_;
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
  const std::size_t w = window_;
  auto peer = [&](std::size_t i, int sign) {  // step s = i + 1
    return (r + sign * static_cast<int>(i + 1) + n) % n;
  };
  auto at = [&](int rank) { return static_cast<std::size_t>(rank) * block_bytes; };

  const Deadline deadline = Clock::now() + timeout_;
  std::size_t posted = 0, done = 0;
  unsigned polls = 0;
  while (done < steps) {
    while (posted < steps && posted - done < w) {
      const int to = peer(posted, +1);
      const int from = peer(posted, -1);
      recv_reqs_[posted % w] = transport_.irecv(from, tag, *args.recv.region,
                                                args.recv.region_offset(at(from)), block_bytes);
      send_reqs_[posted % w] = transport_.isend(to, tag, *args.send.region,
                                                args.send.region_offset(at(to)), block_bytes);
      ++posted;
    }
    transport_.progress();
    bool advanced = false;
    while (done < posted && transport_.test(recv_reqs_[done % w]) &&
           transport_.test(send_reqs_[done % w])) {
      ++done;
      advanced = true;
    }
    if (!advanced && ++polls % 64 == 0 && Clock::now() > deadline) {
      const std::string during =
          "pairwise alltoall step " + std::to_string(done + 1) + " of " + std::to_string(steps);
      const Request& rq = recv_reqs_[done % w];
      transport_.throw_timeout(rq.done ? send_reqs_[done % w] : rq, during);
    }
  }
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
  void reserve_scratch(std::size_t bytes);
  void exchange(int to, int from, Tag tag, std::size_t offset_out, std::size_t offset_in,
                std::size_t bytes, int round, Deadline deadline);

  Transport& transport_;
  std::chrono::milliseconds timeout_;
  AlignedBuffer scratch_;
  std::unique_ptr<MemoryRegion> scratch_region_;
  std::uint64_t call_seq_ = 0;
};

void BruckAlltoall::reserve_scratch(std::size_t bytes) {
  if (scratch_.size() >= bytes) return;
  scratch_region_.reset();  // deregister before the memory goes
  scratch_ = AlignedBuffer(bytes);
  scratch_region_ = transport_.register_memory(scratch_.span());
}

// One round: send the outgoing pack, receive the incoming one, both in flight at once.
void BruckAlltoall::exchange(int to, int from, Tag tag, std::size_t offset_out,
                             std::size_t offset_in, std::size_t bytes, int round,
                             Deadline deadline) {
  Request recv = transport_.irecv(from, tag, *scratch_region_, offset_in, bytes);
  Request send = transport_.isend(to, tag, *scratch_region_, offset_out, bytes);
  unsigned polls = 0;
  bool recv_done = false, send_done = false;
  while (!recv_done || !send_done) {
    transport_.progress();
    recv_done = recv_done || transport_.test(recv);
    send_done = send_done || transport_.test(send);
    if (++polls % 64 == 0 && Clock::now() > deadline) {
      const std::string during = "bruck alltoall round " + std::to_string(round);
      transport_.throw_timeout(recv_done ? send : recv, during);
    }
  }
}

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
  reserve_scratch(in_offset + pack_blocks * block);
  std::byte* work = scratch_.data();
  const std::byte* send = args.send.bytes.data();
  std::byte* recv = args.recv.bytes.data();
  ++call_seq_;
  const Deadline deadline = Clock::now() + timeout_;

  // Rotate: work[i] = the block for rank r + i.
  for (std::size_t i = 0; i < un; ++i)
    std::memcpy(work + i * block, send + (static_cast<std::size_t>(r) + i) % un * block, block);

  // Round `bit`: the blocks whose index has that bit set, packed in index order.
  auto for_each_moving = [&](std::size_t bit, auto&& f) {
    std::size_t m = 0;
    for (std::size_t i = bit; i < un; ++i) {
      if ((i & bit) != 0) f(work + i * block, m++ * block);
    }
    return m;
  };
  std::byte* out = scratch_.data() + out_offset;
  const std::byte* in = scratch_.data() + in_offset;
  int round = 0;
  for (std::size_t bit = 1; bit < un; bit <<= 1, ++round) {
    const std::size_t m = for_each_moving(
        bit, [&](std::byte* b, std::size_t at) { std::memcpy(out + at, b, block); });
    const int dist = static_cast<int>(bit);
    exchange((r + dist) % n, (r - dist + n) % n,
             make_tag(call_seq_, static_cast<std::uint32_t>(round)), out_offset, in_offset,
             m * block, round, deadline);
    for_each_moving(bit, [&](std::byte* b, std::size_t at) { std::memcpy(b, in + at, block); });
  }

  // Inverse rotation: work[i] came from rank r - i, so block j is work[(r - j) mod n].
  for (std::size_t j = 0; j < un; ++j) {
    if (j == static_cast<std::size_t>(r)) continue;  // copied at the start
    const std::size_t i = (static_cast<std::size_t>(r) + un - j) % un;
    std::memcpy(recv + j * block, work + i * block, block);
  }
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
