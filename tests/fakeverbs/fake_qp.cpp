// The RC queue pair state machine of ibv_modify_qp: each transition's required and optional
// attribute masks (the InfiniBand specification's table, as the ibv_modify_qp man page
// gives it for RC), and the values a port would refuse. Anything else is EINVAL.
#include <cerrno>
#include <cstring>

#include "tests/fakeverbs/fake_state.hpp"

namespace fakeverbs {

namespace {

struct Rule {
  ibv_qp_state from;
  ibv_qp_state to;
  int required;
  int optional;
};

constexpr int kRtrRequired = IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
                             IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
constexpr int kRtsRequired = IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
                             IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC;
constexpr int kRtsOptional = IBV_QP_CUR_STATE | IBV_QP_ACCESS_FLAGS | IBV_QP_MIN_RNR_TIMER |
                             IBV_QP_ALT_PATH | IBV_QP_PATH_MIG_STATE;

constexpr Rule kRules[] = {
    {IBV_QPS_RESET, IBV_QPS_INIT,
     IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS, 0},
    {IBV_QPS_INIT, IBV_QPS_INIT, IBV_QP_STATE,
     IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS},
    {IBV_QPS_INIT, IBV_QPS_RTR, kRtrRequired,
     IBV_QP_ALT_PATH | IBV_QP_ACCESS_FLAGS | IBV_QP_PKEY_INDEX},
    {IBV_QPS_RTR, IBV_QPS_RTS, kRtsRequired, kRtsOptional},
    {IBV_QPS_RTS, IBV_QPS_RTS, IBV_QP_STATE, kRtsOptional},
};

// The address vector of RTR: what a port accepts.
bool valid_av(const Qp& qp, const ibv_ah_attr& ah) {
  if (ah.port_num != qp.attr.port_num) return false;
  if (device_config(qp.context->device).ethernet) {
    // The kernel resolves RoCE destinations through the GRH: none, no route.
    if (ah.is_global == 0) return false;
  }
  if (ah.is_global != 0) {
    if (ah.grh.sgid_index >= kGidTableLength) return false;
    if (gid_entry(qp.context->device, qp.attr.port_num, ah.grh.sgid_index).empty) return false;
  }
  return true;
}

}  // namespace

int modify_qp(Qp& qp, const ibv_qp_attr& attr, int mask) {
  const auto current = qp.attr.qp_state;
  if ((mask & IBV_QP_STATE) == 0) return EINVAL;  // this device only supports transitions
  if ((mask & IBV_QP_CUR_STATE) != 0 && attr.cur_qp_state != current) return EINVAL;
  const auto target = attr.qp_state;
  if (target == IBV_QPS_RESET || target == IBV_QPS_ERR) {
    if ((mask & ~(IBV_QP_STATE | IBV_QP_CUR_STATE)) != 0) return EINVAL;
    if (target == IBV_QPS_ERR) {
      to_error(qp);
      return 0;
    }
    // Back to RESET: the queues are emptied without completions, the context cleared.
    for (auto& wr : qp.send_queue)
      for (auto* mr : wr.mrs)
        if (mr != nullptr) --mr->busy;
    for (auto& wr : qp.recv_queue)
      for (auto* mr : wr.mrs)
        if (mr != nullptr) --mr->busy;
    qp.send_queue.clear();
    qp.recv_queue.clear();
    qp.posted = qp.retired = 0;
    qp.recv_outstanding = 0;
    qp.in_flight = qp.rnr_wait = qp.has_last = false;
    qp.attr = ibv_qp_attr{};
    qp.attr.qp_state = IBV_QPS_RESET;
    qp.shell.c.state = IBV_QPS_RESET;
    return 0;
  }
  const Rule* rule = nullptr;
  for (const auto& candidate : kRules) {
    if (candidate.from == current && candidate.to == target) rule = &candidate;
  }
  if (rule == nullptr) return EINVAL;
  if ((mask & rule->required) != rule->required) return EINVAL;
  if ((mask & ~(rule->required | rule->optional | IBV_QP_STATE)) != 0) return EINVAL;

  const auto& c = config();
  if ((mask & IBV_QP_PORT) != 0 && (attr.port_num < 1 || attr.port_num > c.ports)) return EINVAL;
  const auto device = device_config(qp.context->device);
  if ((mask & IBV_QP_PKEY_INDEX) != 0 && attr.pkey_index >= device.pkeys) return EINVAL;
  if ((mask & IBV_QP_ACCESS_FLAGS) != 0 &&
      (attr.qp_access_flags & ~(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
                                IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)) != 0) {
    return EINVAL;
  }
  auto next = qp.attr;
  if ((mask & IBV_QP_PORT) != 0) next.port_num = attr.port_num;
  if ((mask & IBV_QP_PKEY_INDEX) != 0) next.pkey_index = attr.pkey_index;
  if ((mask & IBV_QP_ACCESS_FLAGS) != 0) next.qp_access_flags = attr.qp_access_flags;
  if ((mask & IBV_QP_PATH_MTU) != 0) {
    // A path MTU the port cannot carry is refused (the port's active MTU is the limit).
    if (attr.path_mtu < IBV_MTU_256 || attr.path_mtu > device.active_mtu) return EINVAL;
    next.path_mtu = attr.path_mtu;
  }
  if ((mask & IBV_QP_DEST_QPN) != 0) {
    if (attr.dest_qp_num > 0xFFFFFFU) return EINVAL;
    next.dest_qp_num = attr.dest_qp_num;
  }
  if ((mask & IBV_QP_RQ_PSN) != 0) {
    if (attr.rq_psn > 0xFFFFFFU) return EINVAL;
    next.rq_psn = attr.rq_psn;
  }
  if ((mask & IBV_QP_SQ_PSN) != 0) {
    if (attr.sq_psn > 0xFFFFFFU) return EINVAL;
    next.sq_psn = attr.sq_psn;
  }
  if ((mask & IBV_QP_MIN_RNR_TIMER) != 0) {
    if (attr.min_rnr_timer > 31) return EINVAL;
    next.min_rnr_timer = attr.min_rnr_timer;
  }
  if ((mask & IBV_QP_TIMEOUT) != 0) {
    if (attr.timeout > 31) return EINVAL;
    next.timeout = attr.timeout;
  }
  if ((mask & IBV_QP_RETRY_CNT) != 0) {
    if (attr.retry_cnt > 7) return EINVAL;
    next.retry_cnt = attr.retry_cnt;
  }
  if ((mask & IBV_QP_RNR_RETRY) != 0) {
    if (attr.rnr_retry > 7) return EINVAL;
    next.rnr_retry = attr.rnr_retry;
  }
  if ((mask & IBV_QP_MAX_DEST_RD_ATOMIC) != 0) next.max_dest_rd_atomic = attr.max_dest_rd_atomic;
  if ((mask & IBV_QP_MAX_QP_RD_ATOMIC) != 0) next.max_rd_atomic = attr.max_rd_atomic;
  if ((mask & IBV_QP_AV) != 0) {
    next.ah_attr = attr.ah_attr;
    if (!valid_av(qp, next.ah_attr)) return EINVAL;
  }
  next.qp_state = target;
  next.cur_qp_state = target;
  qp.attr = next;
  qp.shell.c.state = target;
  if (target == IBV_QPS_RTS) kick(qp);
  return 0;
}

}  // namespace fakeverbs
