// The queue pair entry points of the software RDMA device: create (mlx5 refuses what it
// cannot grant, an SRQ replaces the receive queue), modify (fake_qp.cpp's state machine,
// traced), query and destroy.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "tests/fakeverbs/fake_state.hpp"

using namespace fakeverbs;  // NOLINT(google-build-using-namespace): the C ABI wraps it

namespace {

// Queue pair numbers are unique across the processes sharing FB_FAKEVERBS_DIR.
std::uint32_t next_qpn() {
  const auto path = config().dir + "/qpn.counter";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  ::flock(fd, LOCK_EX);
  std::uint32_t value = 0;
  if (::pread(fd, &value, sizeof(value), 0) != sizeof(value)) value = 0x100;
  const std::uint32_t next = value + 1;
  (void)::pwrite(fd, &next, sizeof(next), 0);
  ::flock(fd, LOCK_UN);
  ::close(fd);
  return value & 0xFFFFFFU;
}

// Whether mlx5 would create the queue pair: 0 or the errno it refuses it with.
int refusal(const Context& context, const ibv_qp_init_attr& init) {
  const auto& c = config();
  if (init.qp_type != IBV_QPT_RC) return EOPNOTSUPP;
  if (device_config(context.device).transport == Transport::unspecified) return EOPNOTSUPP;
  if (init.send_cq == nullptr || init.recv_cq == nullptr) return EINVAL;
  if (init.srq != nullptr && state_of<Srq>(init.srq)->context != &context) return EINVAL;
  const auto& cap = init.cap;
  const auto limit = [](int value) { return static_cast<std::uint32_t>(value); };
  // mlx5 refuses what it cannot grant (it does not grant less). With an SRQ the receive
  // capabilities are ignored.
  if (cap.max_send_wr > limit(c.max_qp_wr) || cap.max_send_sge > limit(c.max_sge) ||
      cap.max_inline_data > limit(c.max_inline)) {
    return EINVAL;
  }
  if (init.srq == nullptr &&
      (cap.max_recv_wr > limit(c.max_qp_wr) || cap.max_recv_sge > limit(c.max_sge))) {
    return EINVAL;
  }
  return 0;
}

void trace_create(std::uint32_t qpn, const ibv_qp_init_attr& init, std::uint32_t asked_inline,
                  int rc) {
  if (!tracing()) return;
  trace("create_qp qpn=" + std::to_string(qpn) + " srq=" + (init.srq != nullptr ? "1" : "0") +
        " max_send_wr=" + std::to_string(init.cap.max_send_wr) +
        " max_recv_wr=" + std::to_string(init.cap.max_recv_wr) +
        " max_inline_data=" + std::to_string(asked_inline) + " rc=" + std::to_string(rc));
}

void trace_modify(std::uint32_t qpn, const ibv_qp_attr& attr, int rc) {
  if (!tracing()) return;
  std::string line = "modify_qp qpn=" + std::to_string(qpn) +
                     " state=" + qp_state_name(attr.qp_state) + " rc=" + std::to_string(rc);
  if (attr.qp_state == IBV_QPS_INIT) {
    line += " pkey_index=" + std::to_string(attr.pkey_index) +
            " port=" + std::to_string(attr.port_num) + " access=" + hex(attr.qp_access_flags);
  } else if (attr.qp_state == IBV_QPS_RTR) {
    const auto& ah = attr.ah_attr;
    line += " path_mtu=" + std::to_string(mtu_bytes(attr.path_mtu)) +
            " dest_qpn=" + std::to_string(attr.dest_qp_num) + " dlid=" + std::to_string(ah.dlid) +
            " sl=" + std::to_string(ah.sl) + " is_global=" + std::to_string(ah.is_global) +
            " sgid_index=" + std::to_string(ah.grh.sgid_index) +
            " traffic_class=" + std::to_string(ah.grh.traffic_class) +
            " hop_limit=" + std::to_string(ah.grh.hop_limit);
  }
  trace(line);
}

}  // namespace

extern "C" {

ibv_qp* ibv_create_qp(ibv_pd* handle, ibv_qp_init_attr* init) {
  auto* pd = state_of<Pd>(handle);
  auto* context = pd->context;
  const auto& c = config();
  const auto asked = *init;  // the trace shows the request
  const auto asked_inline = init->cap.max_inline_data;
  if (const int error = refusal(*context, *init); error != 0) {
    trace_create(0, *init, asked_inline, error);
    errno = error;
    return nullptr;
  }
  const auto qpn = next_qpn();
  if (qpn == 0) {
    trace_create(0, *init, asked_inline, EIO);
    errno = EIO;
    return nullptr;
  }
  std::lock_guard lock(context->mutex);
  auto qp = std::make_unique<Qp>();
  qp->context = context;
  qp->pd = pd;
  qp->send_cq = state_of<Cq>(init->send_cq);
  qp->recv_cq = state_of<Cq>(init->recv_cq);
  qp->srq = init->srq == nullptr ? nullptr : state_of<Srq>(init->srq);
  qp->cap = init->cap;
  if (qp->srq != nullptr) qp->cap.max_recv_wr = qp->cap.max_recv_sge = 0;
  qp->cap.max_inline_data = static_cast<std::uint32_t>(c.max_inline);  // granted: the maximum
  init->cap = qp->cap;
  qp->sig_all = init->sq_sig_all != 0;
  qp->attr.qp_state = IBV_QPS_RESET;
  qp->shell.self = qp.get();
  auto& q = qp->shell.c;
  q.context = handle->context;
  q.qp_context = init->qp_context;
  q.pd = handle;
  q.send_cq = init->send_cq;
  q.recv_cq = init->recv_cq;
  q.srq = init->srq;
  q.qp_num = qpn;
  q.handle = qpn;
  q.state = IBV_QPS_RESET;
  q.qp_type = IBV_QPT_RC;
  if (!open_qp_socket(*qp)) {
    trace_create(0, *init, asked_inline, EIO);
    errno = EIO;
    return nullptr;
  }
  ++pd->children;
  ++qp->send_cq->users;
  ++qp->recv_cq->users;
  if (qp->srq != nullptr) ++qp->srq->users;
  auto* raw = qp.get();
  context->qps[qpn] = std::move(qp);
  trace_create(qpn, asked, asked_inline, 0);
  return &raw->shell.c;
}

int ibv_modify_qp(ibv_qp* handle, ibv_qp_attr* attr, int mask) {
  auto* qp = state_of<Qp>(handle);
  std::lock_guard lock(qp->context->mutex);
  const int error = modify_qp(*qp, *attr, mask);
  trace_modify(handle->qp_num, *attr, error);
  errno = error;
  return error;
}

int ibv_query_qp(ibv_qp* handle, ibv_qp_attr* attr, int /*mask*/, ibv_qp_init_attr* init) {
  auto* qp = state_of<Qp>(handle);
  std::lock_guard lock(qp->context->mutex);
  *attr = qp->attr;
  attr->cap = qp->cap;
  *init = ibv_qp_init_attr{};
  init->qp_context = handle->qp_context;
  init->send_cq = handle->send_cq;
  init->recv_cq = handle->recv_cq;
  init->srq = handle->srq;
  init->cap = qp->cap;
  init->qp_type = IBV_QPT_RC;
  init->sq_sig_all = qp->sig_all ? 1 : 0;
  return 0;
}

int ibv_destroy_qp(ibv_qp* handle) {
  auto* qp = state_of<Qp>(handle);
  auto* context = qp->context;
  std::lock_guard lock(context->mutex);
  close_qp_socket(*qp);
  for (auto& wr : qp->send_queue)
    release(wr.mrs);
  for (auto& wr : qp->recv_queue)
    release(wr.mrs);
  // Its completions not yet polled go with it (and the SRQ slots of its receive ones).
  for (auto* cq : {qp->send_cq, qp->recv_cq}) {
    for (const bool receive : {false, true}) {
      const auto found = cq->queues.find({handle->qp_num, receive});
      if (found == cq->queues.end()) continue;
      cq->count -= found->second.size();
      cq->visible.store(cq->count, std::memory_order_release);
      if (receive && qp->srq != nullptr) {
        qp->srq->outstanding -= std::min(qp->srq->outstanding, found->second.size());
      }
      cq->queues.erase(found);
    }
  }
  --qp->send_cq->users;
  --qp->recv_cq->users;
  if (qp->srq != nullptr) --qp->srq->users;
  --qp->pd->children;
  context->qps.erase(handle->qp_num);
  return 0;
}

}  // extern "C"
