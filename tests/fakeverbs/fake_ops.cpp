// The ops of a context (ibv_context::ops): the inline verbs ibv_poll_cq, ibv_req_notify_cq,
// ibv_post_send and ibv_post_recv reach the software device through them.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "tests/fakeverbs/fake_state.hpp"

namespace fakeverbs {

namespace {
std::atomic<long> g_rdma_writes{0};  // posted RDMA writes, for corrupt_rkey_at
}  // namespace

int op_poll_cq(ibv_cq* handle, int entries, ibv_wc* wc) {
  auto* cq = state_of<Cq>(handle);
  if (cq->visible.load(std::memory_order_acquire) == 0) return 0;
  std::lock_guard lock(cq->context->mutex);
  if (cq->overrun) return -EIO;
  int got = 0;
  while (got < entries && cq->count > 0) {
    // A random non-empty per-queue-pair queue: completions of different queue pairs arrive
    // in no promised order.
    std::vector<decltype(cq->queues)::iterator> candidates;
    for (auto it = cq->queues.begin(); it != cq->queues.end(); ++it) {
      if (!it->second.empty()) candidates.push_back(it);
    }
    auto chosen = candidates[cq->context->random() % candidates.size()];
    const auto cqe = chosen->second.front();
    chosen->second.pop_front();
    if (chosen->second.empty()) cq->queues.erase(chosen);
    --cq->count;
    cq->visible.store(cq->count, std::memory_order_release);
    wc[got++] = cqe.wc;
    const auto found = cq->context->qps.find(cqe.wc.qp_num);
    if (found == cq->context->qps.end()) continue;
    auto& qp = *found->second;
    if (cqe.send) {
      // A polled completion releases its send-queue slot and those of the unsignalled work
      // requests before it.
      qp.retired = std::max(qp.retired, cqe.sequence + 1);
    } else if (qp.srq != nullptr) {
      if (qp.srq->outstanding > 0) --qp.srq->outstanding;
    } else if (qp.recv_outstanding > 0) {
      --qp.recv_outstanding;
    }
  }
  return got;
}

int op_req_notify_cq(ibv_cq* handle, int /*solicited_only*/) {
  auto* cq = state_of<Cq>(handle);
  std::lock_guard lock(cq->context->mutex);
  if (cq->count > 0 && cq->channel != nullptr) {
    ibv_cq* self = handle;
    (void)::write(cq->channel->write_fd, &self, sizeof(self));
  } else {
    cq->armed = true;
  }
  return 0;
}

int op_post_send(ibv_qp* handle, ibv_send_wr* wr, ibv_send_wr** bad) {
  auto* qp = state_of<Qp>(handle);
  auto& context = *qp->context;
  std::lock_guard lock(context.mutex);
  for (; wr != nullptr; wr = wr->next) {
    const auto state = qp->attr.qp_state;
    int error = 0;
    if (state != IBV_QPS_RTS && state != IBV_QPS_ERR) error = EINVAL;
    if (wr->num_sge < 0 || static_cast<std::uint32_t>(wr->num_sge) > qp->cap.max_send_sge) {
      error = EINVAL;
    }
    if (wr->opcode != IBV_WR_SEND && wr->opcode != IBV_WR_SEND_WITH_IMM &&
        wr->opcode != IBV_WR_RDMA_WRITE && wr->opcode != IBV_WR_RDMA_WRITE_WITH_IMM) {
      error = EINVAL;  // this device has no reads or atomics
    }
    if (wr->opcode == IBV_WR_RDMA_WRITE_WITH_IMM &&
        device_config(context.device).transport == Transport::iwarp) {
      error = EINVAL;  // iWARP has no immediate data
    }
    if (error == 0 && qp->posted - qp->retired >= qp->cap.max_send_wr) error = ENOMEM;
    SendWr entry;
    entry.wr_id = wr->wr_id;
    entry.opcode = wr->opcode;
    entry.signalled = qp->sig_all || (wr->send_flags & IBV_SEND_SIGNALED) != 0;
    entry.imm = wr->imm_data;
    entry.is_inline = (wr->send_flags & IBV_SEND_INLINE) != 0;
    if (wr->opcode == IBV_WR_RDMA_WRITE || wr->opcode == IBV_WR_RDMA_WRITE_WITH_IMM) {
      entry.remote_address = wr->wr.rdma.remote_addr;
      entry.rkey = wr->wr.rdma.rkey;
    }
    for (int i = 0; error == 0 && i < wr->num_sge; ++i) {
      entry.sges.push_back(wr->sg_list[i]);
      entry.length += wr->sg_list[i].length;
    }
    if (error == 0 && entry.is_inline) {
      if (entry.length > qp->cap.max_inline_data) {
        error = EINVAL;
      } else {
        for (const auto& sge : entry.sges) {
          const auto* from =
              reinterpret_cast<const std::byte*>(static_cast<std::uintptr_t>(sge.addr));
          entry.inline_data.insert(entry.inline_data.end(), from, from + sge.length);
        }
      }
    }
    if (error != 0) {
      *bad = wr;
      return fail(error);
    }
    if (!entry.is_inline) {
      for (const auto& sge : entry.sges) {
        auto* mr = sge.length == 0 ? nullptr : find_mr(context, sge.lkey);
        if (mr != nullptr) ++mr->busy;
        entry.mrs.push_back(mr);
      }
    }
    if (entry.length > 0 &&
        (entry.opcode == IBV_WR_RDMA_WRITE || entry.opcode == IBV_WR_RDMA_WRITE_WITH_IMM)) {
      const long nth = ++g_rdma_writes;
      if (nth == config().corrupt_rkey_at) entry.rkey ^= 0x5a5a0000U;
    }
    entry.sequence = qp->posted++;
    auto& counted = context.counters;
    ++counted.send_wrs;
    if (entry.signalled) ++counted.signalled;
    if (entry.is_inline) ++counted.inlined;
    if (entry.opcode == IBV_WR_SEND || entry.opcode == IBV_WR_SEND_WITH_IMM) ++counted.sends;
    if (entry.opcode == IBV_WR_RDMA_WRITE) ++counted.rdma_writes;
    if (entry.opcode == IBV_WR_RDMA_WRITE && entry.length == 0) ++counted.zero_length_writes;
    if (entry.opcode == IBV_WR_RDMA_WRITE_WITH_IMM) ++counted.rdma_writes_with_imm;
    count_send_for_port_down(context);
    if (state == IBV_QPS_ERR) {
      release(entry.mrs);
      push_cqe(*qp->send_cq, error_wc(entry.wr_id, handle->qp_num, IBV_WC_WR_FLUSH_ERR),
               entry.sequence, true);
      continue;
    }
    qp->send_queue.push_back(std::move(entry));
  }
  kick(*qp);
  return 0;
}

int op_post_recv(ibv_qp* handle, ibv_recv_wr* wr, ibv_recv_wr** bad) {
  auto* qp = state_of<Qp>(handle);
  auto& context = *qp->context;
  std::lock_guard lock(context.mutex);
  for (; wr != nullptr; wr = wr->next) {
    int error = 0;
    if (qp->attr.qp_state == IBV_QPS_RESET || qp->srq != nullptr) error = EINVAL;
    if (wr->num_sge < 0 || static_cast<std::uint32_t>(wr->num_sge) > qp->cap.max_recv_sge) {
      error = EINVAL;
    }
    if (error == 0 && qp->recv_outstanding >= qp->cap.max_recv_wr) error = ENOMEM;
    if (error != 0) {
      *bad = wr;
      return fail(error);
    }
    RecvWr entry = posted_receive(context, *wr);
    ++qp->recv_outstanding;
    if (starve_next_receive()) {
      release(entry.mrs);
      continue;  // lost on the way to the device
    }
    if (qp->attr.qp_state == IBV_QPS_ERR) {
      release(entry.mrs);
      push_cqe(*qp->recv_cq, error_wc(entry.wr_id, handle->qp_num, IBV_WC_WR_FLUSH_ERR), 0, false);
      continue;
    }
    qp->recv_queue.push_back(std::move(entry));
  }
  return 0;
}

}  // namespace fakeverbs
