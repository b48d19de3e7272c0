// Ring shift: one message from every rank to its right neighbour, all links busy at once.
//
//     r0 --> r1 --> r2 --> r3
//      ^                    |
//      +--------------------+
//
// The buffer goes as a single message (the transport does its own fragmenting and
// rendezvous), split only above 1 GiB so every message stays below the MPI transport's
// INT_MAX-byte limit. Receives are posted before sends so the data lands without an
// unexpected-message copy whenever the peer is slower. One step of collectives/exchange.hpp:
// everything posted together, then waited for together.
#include "collectives/sendrecv.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "collectives/exchange.hpp"
#include "collectives/pipeline.hpp"
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
  Exchange exchange_{transport_, "ring sendrecv"};
  std::uint64_t call_seq_ = 0;
};

void RingSendrecv::run(const CollArgs& args) {
  const int n = transport_.size();
  const std::size_t bytes = args.count * dtype_size(args.dtype);
  if (bytes == 0) return;
  if (n == 1) {
    copy_bytes(args, args.recv.bytes.data(), args.send.bytes.data(), bytes);
    settle(args);
    return;
  }
  const auto [left, right] = topo::ring_neighbours(transport_.rank(), n);
  const Tag tag = make_tag(++call_seq_, 0);
  // Every piece in flight at once, all receives posted before the first send.
  exchange_.begin(timeout_);
  for (std::size_t off = 0; off < bytes; off += kMaxMessageBytes)
    exchange_.recv(left, tag, args.recv, off, std::min(kMaxMessageBytes, bytes - off));
  for (std::size_t off = 0; off < bytes; off += kMaxMessageBytes)
    exchange_.send(right, tag, args.send, off, std::min(kMaxMessageBytes, bytes - off));
  exchange_.wait("from the left neighbour, to the right");
}

}  // namespace

std::unique_ptr<Algorithm> make_ring_sendrecv(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) throw std::invalid_argument("ring sendrecv needs a transport");
  return std::make_unique<RingSendrecv>(ctx);
}

}  // namespace fb
