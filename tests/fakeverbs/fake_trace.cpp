// The device's trace for tests (FB_FAKEVERBS_TRACE=PATH). Every line is appended with one
// write(2) to a file opened O_APPEND, so the processes of a test can share it, and reads
// "pid=<pid> <event> key=value ...". The events and their keys:
//
//   fork_init rc=<0|errno>
//   reg_mr device=<name> length=<bytes> access=0x<flags as passed> fork_initialized=<0|1>
//          rc=<0|errno>
//   create_qp qpn=<n, 0 when refused> srq=<0|1> max_send_wr=<n> max_recv_wr=<n>
//          max_inline_data=<as asked> rc=<0|errno>
//   create_srq max_wr=<as asked> rc=<0|errno>
//   modify_qp qpn=<n> state=<RESET|INIT|RTR|RTS|SQD|SQE|ERR> rc=<0|errno>, then for INIT
//          " pkey_index=<n> port=<n> access=0x<hex>", for RTR " path_mtu=<bytes>
//          dest_qpn=<n> dlid=<n> sl=<n> is_global=<0|1> sgid_index=<n> traffic_class=<n>
//          hop_limit=<n>" (the values passed)
//   refused call=<ibv_dealloc_pd|ibv_destroy_cq|ibv_destroy_srq|ibv_dereg_mr|
//          ibv_close_device> errno=<EBUSY|...>
//   async event=<IBV_EVENT_...> port=<n, 0 for events that are not a port's>
//   close_device device=<name> send_wrs=<n> signalled=<n> inline=<n> sends=<n>
//          rdma_writes=<n> rdma_writes_with_imm=<n> zero_length_writes=<n>
//
// rc and errno values are numbers (rc) and symbolic names (errno=) respectively. The
// close_device counts are the send work requests the context posted successfully: sends are
// SEND and SEND_WITH_IMM, rdma_writes RDMA_WRITE, rdma_writes_with_imm RDMA_WRITE_WITH_IMM,
// zero_length_writes the RDMA_WRITEs of 0 bytes (also in rdma_writes).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "tests/fakeverbs/fake_state.hpp"

namespace fakeverbs {

bool tracing() {
  return !config().trace.empty();
}

void trace(const std::string& line) {
  if (!tracing()) return;
  const std::string text = "pid=" + std::to_string(::getpid()) + " " + line + "\n";
  const int fd = ::open(config().trace.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)::write(fd, text.data(), text.size());
  ::close(fd);
}

void trace_refused(const char* call, int error) {
  trace(std::string("refused call=") + call + " errno=" + errno_name(error));
}

const char* errno_name(int error) {
  const char* name = ::strerrorname_np(error);
  return name == nullptr ? "EUNKNOWN" : name;
}

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

const char* qp_state_name(ibv_qp_state state) {
  switch (state) {
    case IBV_QPS_RESET:
      return "RESET";
    case IBV_QPS_INIT:
      return "INIT";
    case IBV_QPS_RTR:
      return "RTR";
    case IBV_QPS_RTS:
      return "RTS";
    case IBV_QPS_SQD:
      return "SQD";
    case IBV_QPS_SQE:
      return "SQE";
    case IBV_QPS_ERR:
      return "ERR";
    default:
      return "UNKNOWN";
  }
}

const char* event_name(ibv_event_type event) {
  switch (event) {
    case IBV_EVENT_CQ_ERR:
      return "IBV_EVENT_CQ_ERR";
    case IBV_EVENT_QP_FATAL:
      return "IBV_EVENT_QP_FATAL";
    case IBV_EVENT_QP_REQ_ERR:
      return "IBV_EVENT_QP_REQ_ERR";
    case IBV_EVENT_QP_ACCESS_ERR:
      return "IBV_EVENT_QP_ACCESS_ERR";
    case IBV_EVENT_COMM_EST:
      return "IBV_EVENT_COMM_EST";
    case IBV_EVENT_SQ_DRAINED:
      return "IBV_EVENT_SQ_DRAINED";
    case IBV_EVENT_PATH_MIG:
      return "IBV_EVENT_PATH_MIG";
    case IBV_EVENT_PATH_MIG_ERR:
      return "IBV_EVENT_PATH_MIG_ERR";
    case IBV_EVENT_DEVICE_FATAL:
      return "IBV_EVENT_DEVICE_FATAL";
    case IBV_EVENT_PORT_ACTIVE:
      return "IBV_EVENT_PORT_ACTIVE";
    case IBV_EVENT_PORT_ERR:
      return "IBV_EVENT_PORT_ERR";
    case IBV_EVENT_LID_CHANGE:
      return "IBV_EVENT_LID_CHANGE";
    case IBV_EVENT_PKEY_CHANGE:
      return "IBV_EVENT_PKEY_CHANGE";
    case IBV_EVENT_SM_CHANGE:
      return "IBV_EVENT_SM_CHANGE";
    case IBV_EVENT_SRQ_ERR:
      return "IBV_EVENT_SRQ_ERR";
    case IBV_EVENT_SRQ_LIMIT_REACHED:
      return "IBV_EVENT_SRQ_LIMIT_REACHED";
    case IBV_EVENT_QP_LAST_WQE_REACHED:
      return "IBV_EVENT_QP_LAST_WQE_REACHED";
    case IBV_EVENT_CLIENT_REREGISTER:
      return "IBV_EVENT_CLIENT_REREGISTER";
    case IBV_EVENT_GID_CHANGE:
      return "IBV_EVENT_GID_CHANGE";
    case IBV_EVENT_WQ_FATAL:
      return "IBV_EVENT_WQ_FATAL";
    default:
      return "IBV_EVENT_UNKNOWN";
  }
}

}  // namespace fakeverbs
