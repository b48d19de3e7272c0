// Completions and the error state: the completion queue entries the device pushes (an
// overrun raises IBV_EVENT_CQ_ERR and makes the CQ unusable), error completions with garbage
// where the specification leaves fields undefined, and a queue pair's move to the error
// state, which flushes everything outstanding with WR_FLUSH_ERR.
#include "tests/fakeverbs/fake_state.hpp"

namespace fakeverbs {

ibv_wc error_wc(std::uint64_t wr_id, std::uint32_t qpn, ibv_wc_status status) {
  ibv_wc wc{};
  wc.wr_id = wr_id;
  wc.status = status;
  wc.qp_num = qpn;
  // Undefined for errors: hardware leaves whatever was there. Nobody may read them.
  wc.opcode = static_cast<ibv_wc_opcode>(0xa5);
  wc.byte_len = 0xdeadbeef;
  wc.imm_data = 0xbadc0de;
  return wc;
}

void push_cqe(Cq& cq, const ibv_wc& wc, std::uint64_t sequence, bool send) {
  if (cq.overrun) return;
  if (cq.count >= static_cast<std::size_t>(cq.capacity)) {
    cq.overrun = true;
    cq.visible.store(1, std::memory_order_release);  // the next poll reports the overrun
    ibv_async_event event{};
    event.event_type = IBV_EVENT_CQ_ERR;
    event.element.cq = &cq.shell.c;
    raise_async(*cq.context, event);
    return;
  }
  cq.queues[{wc.qp_num, !send}].push_back({wc, sequence, send});
  ++cq.count;
  cq.visible.store(cq.count, std::memory_order_release);
  if (cq.armed && cq.channel != nullptr) {
    cq.armed = false;
    ibv_cq* handle = &cq.shell.c;
    (void)::write(cq.channel->write_fd, &handle, sizeof(handle));
  }
}

Mr* find_mr(Context& context, std::uint32_t key) {
  const auto found = context.mrs.find(key);
  return found == context.mrs.end() ? nullptr : found->second.get();
}

void release(std::vector<Mr*>& mrs) {
  for (auto* mr : mrs)
    if (mr != nullptr) --mr->busy;
  mrs.clear();
}

RecvWr posted_receive(Context& context, const ibv_recv_wr& wr) {
  RecvWr entry;
  entry.wr_id = wr.wr_id;
  for (int i = 0; i < wr.num_sge; ++i) {
    entry.sges.push_back(wr.sg_list[i]);
    auto* mr = wr.sg_list[i].length == 0 ? nullptr : find_mr(context, wr.sg_list[i].lkey);
    if (mr != nullptr) ++mr->busy;
    entry.mrs.push_back(mr);
  }
  return entry;
}

void to_error(Qp& qp) {
  const bool was_error = qp.attr.qp_state == IBV_QPS_ERR;
  qp.attr.qp_state = IBV_QPS_ERR;
  qp.shell.c.state = IBV_QPS_ERR;
  qp.in_flight = false;
  qp.rnr_wait = false;
  while (!qp.send_queue.empty()) {
    auto wr = std::move(qp.send_queue.front());
    qp.send_queue.pop_front();
    release(wr.mrs);
    push_cqe(*qp.send_cq, error_wc(wr.wr_id, qp.shell.c.qp_num, IBV_WC_WR_FLUSH_ERR), wr.sequence,
             true);
  }
  while (!qp.recv_queue.empty()) {
    auto wr = std::move(qp.recv_queue.front());
    qp.recv_queue.pop_front();
    release(wr.mrs);
    push_cqe(*qp.recv_cq, error_wc(wr.wr_id, qp.shell.c.qp_num, IBV_WC_WR_FLUSH_ERR), 0, false);
  }
  if (qp.srq != nullptr && !was_error) {
    // The shared receive queue keeps its receives; the queue pair will take no more.
    ibv_async_event event{};
    event.event_type = IBV_EVENT_QP_LAST_WQE_REACHED;
    event.element.qp = &qp.shell.c;
    raise_async(*qp.context, event);
  }
}

}  // namespace fakeverbs
