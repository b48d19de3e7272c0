// Ring all-reduce: reduce-scatter, then all-gather, pipelined in segments.
//
// The buffer is cut into n blocks. In reduce-scatter step s (0..n-2) rank r sends block
// r-s to its right neighbour and receives block r-s-1 from its left, adding its own input
// to it; after n-1 steps it owns the fully reduced block r+1. In all-gather step t
// (0..n-2) it sends block r+1-t and receives block r-t in place. Each rank thus sends
// 2(n-1)/n of the buffer, the bandwidth optimum. n = 4, reduce-scatter step 0:
//
//     r0 --b0--> r1 --b1--> r2 --b2--> r3 --b3--> r0
//
// Every block is cut into S segments, and the 2(n-1) x S messages form one stream per
// link, numbered i = step * S + segment. Message i may leave as soon as message i - S
// (the same segment one step earlier) has arrived and been reduced, so segments of later
// steps overlap the reduction of earlier ones; `slots` segments are in flight each way.
#include "collectives/ring_allreduce.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "collectives/reduce_kernels.hpp"
#include "topologies/ring.hpp"

namespace fb {

namespace {

class RingAllreduce final : public Algorithm {
 public:
  explicit RingAllreduce(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        segment_bytes_(ctx.options.ring_segment_bytes),
        slots_(static_cast<std::size_t>(ctx.options.ring_slots)),
        timeout_(ctx.options.timeout),
        scratch_(segment_bytes_ * slots_),
        scratch_region_(transport_.register_memory(scratch_.span())),
        recv_reqs_(slots_),
        send_reqs_(slots_) {
    if (slots_ < 2) throw std::invalid_argument("ring: at least 2 segments must be in flight");
    if (segment_bytes_ < 64) throw std::invalid_argument("ring: segment size must be >= 64 bytes");
  }

  Parameters parameters() const override {
    return {{"segment_bytes", static_cast<std::int64_t>(segment_bytes_)},
            {"slots", static_cast<std::int64_t>(slots_)}};
  }

  void run(const CollArgs& args) override;

 private:
  Transport& transport_;
  std::size_t segment_bytes_;
  std::size_t slots_;
  std::chrono::milliseconds timeout_;
  AlignedBuffer scratch_;
  std::unique_ptr<MemoryRegion> scratch_region_;
  std::vector<Request> recv_reqs_;
  std::vector<Request> send_reqs_;
  std::uint64_t call_seq_ = 0;
};

void RingAllreduce::run(const CollArgs& args) {
  const int n = transport_.size();
  const int r = transport_.rank();
  const std::size_t esize = dtype_size(args.dtype);
  const bool in_place = args.send.bytes.data() == args.recv.bytes.data();
  if (args.count == 0) return;
  if (n == 1) {
    if (!in_place) std::memcpy(args.recv.bytes.data(), args.send.bytes.data(), args.count * esize);
    return;
  }
  const auto kernels = reduce_kernels(args.dtype, args.op);
  const Tag tag = make_tag(++call_seq_, 0);
  const auto [left, right] = topo::ring_neighbours(r, n);

  // Segments: S per block, of at most segment_bytes, evened out over the largest block.
  const std::size_t max_block = topo::ring_block(args.count, n, 0).count;
  const std::size_t cap = std::max<std::size_t>(1, segment_bytes_ / esize);
  const std::size_t S = std::max<std::size_t>(1, (max_block + cap - 1) / cap);
  const std::size_t seg_elems = (max_block + S - 1) / S;
  const std::size_t rs_steps = static_cast<std::size_t>(n - 1);
  const std::size_t total = 2 * rs_steps * S;

  struct Piece {
    std::size_t offset_bytes;  // in the user buffer
    std::size_t bytes;
  };
  auto piece = [&](std::size_t i, bool sending) {
    const std::size_t step = i / S;
    const std::size_t seg = i % S;
    const long long shift = static_cast<long long>(step < rs_steps ? step : step - rs_steps);
    long long block;
    if (step < rs_steps) {
      block = sending ? r - shift : r - shift - 1;
    } else {
      block = sending ? r + 1 - shift : r - shift;
    }
    const auto b = topo::ring_block(args.count, n, topo::wrap(block, n));
    const std::size_t start = std::min(seg * seg_elems, b.count);
    const std::size_t len = std::min(seg_elems, b.count - start);
    return Piece{(b.offset + start) * esize, len * esize};
  };

  const Deadline deadline = Clock::now() + timeout_;
  std::size_t recv_posted = 0, recv_done = 0, send_posted = 0, send_done = 0;
  unsigned polls = 0;
  const std::size_t k = slots_;
  const std::size_t rs_items = rs_steps * S;

  while (recv_done < total || send_done < total) {
    // Post receives: reduce-scatter ones land in scratch slots, all-gather ones in place,
    // the latter only once the send that read the same bytes (i - rs_items) has finished.
    while (recv_posted < total && recv_posted - recv_done < k) {
      const std::size_t i = recv_posted;
      const Piece p = piece(i, false);
      if (i < rs_items) {
        recv_reqs_[i % k] =
            transport_.irecv(left, tag, *scratch_region_, (i % k) * segment_bytes_, p.bytes);
      } else {
        if (send_done <= i - rs_items) break;
        recv_reqs_[i % k] = transport_.irecv(left, tag, *args.recv.region, p.offset_bytes, p.bytes);
      }
      ++recv_posted;
    }
    // Post sends, in order: message i needs message i - S to have been received and reduced.
    while (send_posted < total && send_posted - send_done < k &&
           (send_posted < S || send_posted - S < recv_done)) {
      const std::size_t i = send_posted;
      const Piece p = piece(i, true);
      const MemoryRegion& src = i < S ? *args.send.region : *args.recv.region;
      send_reqs_[i % k] = transport_.isend(right, tag, src, p.offset_bytes, p.bytes);
      ++send_posted;
    }
    transport_.progress();
    bool advanced = false;
    if (recv_done < recv_posted && transport_.test(recv_reqs_[recv_done % k])) {
      const std::size_t i = recv_done;
      if (i < rs_items) {
        const Piece p = piece(i, false);
        std::byte* dst = args.recv.bytes.data() + p.offset_bytes;
        const std::byte* own = args.send.bytes.data() + p.offset_bytes;
        const std::byte* incoming = scratch_.data() + (i % k) * segment_bytes_;
        kernels.combine(dst, own, incoming, p.bytes / esize);
      }
      ++recv_done;
      advanced = true;
    }
    while (send_done < send_posted && transport_.test(send_reqs_[send_done % k])) {
      ++send_done;
      advanced = true;
    }
    if (!advanced && ++polls % 64 == 0 && Clock::now() > deadline) {
      const std::string during = "ring allreduce (message " + std::to_string(recv_done) + " of " +
                                 std::to_string(total) + ")";
      if (recv_done < recv_posted) transport_.throw_timeout(recv_reqs_[recv_done % k], during);
      transport_.throw_timeout(send_reqs_[send_done % k], during);
    }
  }
}

}  // namespace

std::unique_ptr<Algorithm> make_ring_allreduce(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) throw std::invalid_argument("ring allreduce needs a transport");
  return std::make_unique<RingAllreduce>(ctx);
}

}  // namespace fb
