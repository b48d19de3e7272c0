#include "harness/call_setup.hpp"

#include <stdexcept>

namespace fb {

namespace {
Buffer sub(const Buffer& b, std::size_t offset, std::size_t bytes) {
  return {b.bytes.subspan(offset, bytes), b.region};
}
}  // namespace

CallLayout layout_call(Collective collective, bool in_place, std::size_t count, DType dtype,
                       ReduceOp op, int root, int rank, int n_ranks, const Buffer& send_store,
                       const Buffer& recv_store) {
  const auto counts = buffer_counts(collective, count, n_ranks);
  const std::size_t es = dtype_size(dtype);
  const std::size_t send_bytes = counts.send * es;
  const std::size_t recv_bytes = counts.recv * es;
  const std::size_t block_offset = static_cast<std::size_t>(rank) * counts.block * es;
  if (send_store.bytes.size() < send_bytes || recv_store.bytes.size() < recv_bytes ||
      (in_place && send_store.bytes.size() < recv_bytes)) {
    throw std::invalid_argument("layout_call: buffers too small for the call");
  }
  CallLayout l;
  l.args.count = count;
  l.args.dtype = dtype;
  l.args.op = op;
  l.args.root = root;
  l.output_count = counts.recv;
  if (!in_place) {
    l.args.send = sub(send_store, 0, send_bytes);
    l.args.recv = sub(recv_store, 0, recv_bytes);
  } else {
    switch (collective) {
      case Collective::reducescatter:
        l.args.send = sub(send_store, 0, send_bytes);
        l.args.recv = sub(send_store, block_offset, recv_bytes);
        break;
      case Collective::allgather:
        l.args.recv = sub(recv_store, 0, recv_bytes);
        l.args.send = sub(recv_store, block_offset, send_bytes);
        break;
      default:
        l.args.send = sub(send_store, 0, send_bytes);
        l.args.recv = l.args.send;
        break;
    }
  }
  l.input = l.args.send.bytes;
  l.output = l.args.recv.bytes;
  return l;
}

}  // namespace fb
