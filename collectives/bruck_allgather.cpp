// Bruck's all-gather. Step s sends the min(2^s, n - 2^s) blocks from this rank's own on
// to rank r - 2^s and receives as many from r + 2^s, each as one or two runs of
// consecutive blocks of the output (two where the run wraps past the last block).
#include "collectives/bruck_allgather.hpp"

#include <cstring>
#include <stdexcept>

#include "collectives/exchange.hpp"
#include "collectives/pipeline.hpp"
#include "topologies/bruck.hpp"

namespace fb {

namespace {

class BruckAllgather final : public Algorithm {
 public:
  explicit BruckAllgather(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        timeout_(ctx.options.timeout),
        exchange_(transport_, "bruck allgather") {}

  void run(const CollArgs& args) override {
    const int n = transport_.size();
    const int r = transport_.rank();
    const auto counts = buffer_counts(Collective::allgather, args.count, n);
    const std::size_t block = counts.block * dtype_size(args.dtype);
    if (block == 0) return;
    std::byte* own = args.recv.bytes.data() + static_cast<std::size_t>(r) * block;
    copy_bytes(args, own, args.send.bytes.data(), block);
    settle(args);  // before the block is sent
    const std::uint64_t call = ++call_seq_;
    exchange_.begin(timeout_);
    for (int s = 0; s < topo::bruck_steps(n); ++s) {
      const auto step = topo::bruck_allgather_step(r, n, s);
      const Tag tag = make_tag(call, static_cast<std::uint32_t>(s));
      for (const auto& run : topo::wrapped_runs(step.recv_first, step.blocks, n)) {
        exchange_.recv(step.recv_from, tag, args.recv, static_cast<std::size_t>(run.first) * block,
                       static_cast<std::size_t>(run.count) * block);
      }
      for (const auto& run : topo::wrapped_runs(step.send_first, step.blocks, n)) {
        exchange_.send(step.send_to, tag, args.recv, static_cast<std::size_t>(run.first) * block,
                       static_cast<std::size_t>(run.count) * block);
      }
      exchange_.wait("step", s);
    }
  }

 private:
  Transport& transport_;
  std::chrono::milliseconds timeout_;
  Exchange exchange_;
  std::uint64_t call_seq_ = 0;
};

}  // namespace

std::unique_ptr<Algorithm> make_bruck_allgather(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) throw std::invalid_argument("bruck allgather needs a transport");
  return std::make_unique<BruckAllgather>(ctx);
}

}  // namespace fb
