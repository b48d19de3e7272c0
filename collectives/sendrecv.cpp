// Ring shift: one message from every rank to its right neighbour, all links busy at once.
//
//     r0 --> r1 --> r2 --> r3
//      ^                    |
//      +--------------------+
//
// The buffer goes as a single message (the transport does its own fragmenting and
// rendezvous), split only above 1 GiB so every message stays below the MPI transport's
// INT_MAX-byte limit. Receives are posted before sends so the data lands without an
// unexpected-message copy whenever the peer is slower.
#include "collectives/sendrecv.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "topologies/ring.hpp"

namespace fb {

namespace {

constexpr std::size_t kMaxMessageBytes = std::size_t{1} << 30;

class RingSendrecv final : public Algorithm {
 public:
  explicit RingSendrecv(const AlgorithmContext& ctx)
      : transport_(*ctx.transport), timeout_(ctx.options.timeout) {}

  void run(const CollArgs& args) override;

 private:
  Transport& transport_;
  std::chrono::milliseconds timeout_;
  std::vector<Request> reqs_;  // receives, then sends
  std::uint64_t call_seq_ = 0;
};

void RingSendrecv::run(const CollArgs& args) {
  const int n = transport_.size();
  const std::size_t bytes = args.count * dtype_size(args.dtype);
  if (bytes == 0) return;
  if (n == 1) {
    if (args.recv.bytes.data() != args.send.bytes.data()) {
      std::memcpy(args.recv.bytes.data(), args.send.bytes.data(), bytes);
    }
    return;
  }
  const auto [left, right] = topo::ring_neighbours(transport_.rank(), n);
  const Tag tag = make_tag(++call_seq_, 0);
  const std::size_t pieces = (bytes + kMaxMessageBytes - 1) / kMaxMessageBytes;
  reqs_.clear();
  for (std::size_t p = 0; p < pieces; ++p) {
    const std::size_t off = p * kMaxMessageBytes;
    reqs_.push_back(transport_.irecv(left, tag, *args.recv.region, args.recv.region_offset(off),
                                     std::min(kMaxMessageBytes, bytes - off)));
  }
  for (std::size_t p = 0; p < pieces; ++p) {
    const std::size_t off = p * kMaxMessageBytes;
    reqs_.push_back(transport_.isend(right, tag, *args.send.region, args.send.region_offset(off),
                                     std::min(kMaxMessageBytes, bytes - off)));
  }

  const Deadline deadline = Clock::now() + timeout_;
  std::size_t done = 0;  // requests are retired in order
  unsigned polls = 0;
  while (done < reqs_.size()) {
    transport_.progress();
    bool advanced = false;
    while (done < reqs_.size() && transport_.test(reqs_[done])) {
      ++done;
      advanced = true;
    }
    if (!advanced && ++polls % 64 == 0 && Clock::now() > deadline) {
      const Request& req = reqs_[done];
      transport_.throw_timeout(req, std::string("ring sendrecv ") +
                                        (req.kind == OpKind::recv ? "from left" : "to right") +
                                        " neighbour");
    }
  }
}

}  // namespace

std::unique_ptr<Algorithm> make_ring_sendrecv(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) throw std::invalid_argument("ring sendrecv needs a transport");
  return std::make_unique<RingSendrecv>(ctx);
}

}  // namespace fb
