// The wire of the software RDMA device: RC reliability between queue pairs of any processes.
//
// Each queue pair owns a Unix datagram socket <FB_FAKEVERBS_DIR>/q<qpn>. The requester sends
// one request per work request (stop and wait: the next starts when this one is
// acknowledged); the responder checks it as a port would (addressing, GRH and GID type,
// path MTU, PSN, rkey, bounds, access, a posted receive) and then pulls the payload out of
// the requester's memory with process_vm_readv, straight into the registered target:
//
//   requester                                   responder (its context's wire thread)
//   post_send -> request {psn, opcode, rkey, remote address, pid, local iovecs | inline}
//                                            -> checks; process_vm_readv(pid, ...) into memory
//            <- ack {psn, syndrome: ok | RNR NAK | remote access | invalid request}
//   completion (signalled or error); next work request
//
// A request nobody acknowledges (dropped, or a dead peer) is retransmitted after the
// queue pair's timeout (4.096 us x 2^timeout), retry_cnt times, then completes with
// RETRY_EXC_ERR. An RNR NAK waits the responder's min_rnr_timer and retries rnr_retry times
// (7: forever), then RNR_RETRY_EXC_ERR. Any error moves the queue pair to the error state
// and flushes everything outstanding with WR_FLUSH_ERR.
//
// A queue pair on a shared receive queue takes its receives from it; when it goes to error
// the SRQ keeps them and IBV_EVENT_QP_LAST_WQE_REACHED is raised. Requests are dropped, as a
// fabric drops them, between an InfiniBand and an Ethernet port, between InfiniBand subnets
// without a GRH, and between partitions (pkeys); a context whose ports are down
// (FB_FAKEVERBS_PORT_DOWN_AFTER) neither sends nor receives anything.
//
// One thread per context receives packets and runs the timers, under the context's mutex.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "tests/fakeverbs/fake_state.hpp"

namespace fakeverbs {

namespace {

enum class Kind : std::uint8_t { request = 1, ack = 2 };
enum Syndrome : std::uint8_t {
  kAckOk = 0,
  kNakRnr = 1,
  kNakRemoteAccess = 2,
  kNakInvalidRequest = 3,
  kNakOperation = 4,
};

struct RemoteSegment {
  std::uint64_t address;
  std::uint64_t length;
};

constexpr std::size_t kMaxSegments = 64;

struct Packet {
  Kind kind;
  std::uint8_t opcode;  // ibv_wr_opcode
  std::uint8_t syndrome;
  std::uint8_t has_grh;
  std::uint8_t sgid_type;  // ibv_gid_type of the source GID
  std::uint8_t path_mtu;
  std::uint8_t rnr_timer;
  std::uint8_t is_inline;
  std::uint8_t src_ethernet;  // the requester's link layer: Ethernet (1) or not
  std::uint16_t pkey;         // the requester's partition key
  std::uint64_t src_subnet;   // the requester's InfiniBand subnet prefix
  std::uint32_t src_qpn;
  std::uint32_t dst_qpn;
  std::uint32_t psn;
  std::uint16_t slid;
  std::uint16_t dlid;
  std::uint8_t sgid[16];
  std::uint8_t dgid[16];
  std::uint32_t imm;
  std::uint32_t rkey;
  std::uint64_t remote_address;
  std::uint64_t length;
  std::int32_t pid;
  std::uint32_t segments;
};

constexpr std::size_t kMaxPacket = sizeof(Packet) + kMaxSegments * sizeof(RemoteSegment) + 65536;

std::string socket_path(std::uint32_t qpn) {
  return config().dir + "/q" + std::to_string(qpn);
}

sockaddr_un address_of(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  return address;
}

void send_packet(const Qp& from, std::uint32_t to_qpn, const void* data, std::size_t bytes) {
  if (from.context->port_down) return;  // a dead link
  const auto address = address_of(socket_path(to_qpn));
  // A full or missing socket is a lost packet: the requester's timer recovers or gives up.
  (void)::sendto(from.socket, data, bytes, MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&address), sizeof(address));
}

// IB spec encoding of min_rnr_timer (0 is the longest).
Clock::duration rnr_delay(std::uint8_t code) {
  static constexpr std::array<int, 32> kMicroseconds = {
      655360, 10,    20,    30,    40,    60,     80,     120,    160,    240,   320,
      480,    640,   960,   1280,  1920,  2560,   3840,   5120,   7680,   10240, 15360,
      20480,  30720, 40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520};
  return std::chrono::microseconds(kMicroseconds[code & 31U]);
}

// Local ACK timeout: 4.096 us x 2^timeout; 0 means wait forever.
Clock::duration ack_timeout(std::uint8_t code) {
  if (code == 0) return Clock::duration::max() / 4;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(4096) << code);
}

std::uint32_t packets_for(std::uint64_t length, ibv_mtu mtu) {
  const auto per = static_cast<std::uint64_t>(mtu_bytes(mtu));
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(1, (length + per - 1) / per));
}

void wake(Context& context, Clock::time_point deadline) {
  if (deadline >= context.planned_wake) return;
  context.planned_wake = deadline;
  const std::uint64_t one = 1;
  (void)::write(context.wake_fd, &one, sizeof(one));
}

ibv_wc_opcode send_opcode(ibv_wr_opcode opcode) {
  switch (opcode) {
    case IBV_WR_RDMA_WRITE:
    case IBV_WR_RDMA_WRITE_WITH_IMM:
      return IBV_WC_RDMA_WRITE;
    default:
      return IBV_WC_SEND;
  }
}

// Completes the front send work request; on error the queue pair goes to error.
void finish_front(Qp& qp, ibv_wc_status status, std::uint32_t vendor_err = 0) {
  auto wr = std::move(qp.send_queue.front());
  qp.send_queue.pop_front();
  qp.in_flight = false;
  qp.rnr_wait = false;
  release(wr.mrs);
  if (status == IBV_WC_SUCCESS) {
    if (wr.signalled) {
      ibv_wc wc{};
      wc.wr_id = wr.wr_id;
      wc.status = IBV_WC_SUCCESS;
      wc.opcode = send_opcode(wr.opcode);
      wc.byte_len = static_cast<std::uint32_t>(wr.length);
      wc.qp_num = qp.shell.c.qp_num;
      push_cqe(*qp.send_cq, wc, wr.sequence, true);
    }
    return;
  }
  auto wc = error_wc(wr.wr_id, qp.shell.c.qp_num, status);
  wc.vendor_err = vendor_err;
  push_cqe(*qp.send_cq, wc, wr.sequence, true);
  to_error(qp);
}

void transmit(Qp& qp) {
  const auto& wr = qp.send_queue.front();
  std::vector<std::byte> buffer(sizeof(Packet) + wr.sges.size() * sizeof(RemoteSegment) +
                                wr.inline_data.size());
  Packet packet{};
  packet.kind = Kind::request;
  packet.opcode = static_cast<std::uint8_t>(wr.opcode);
  packet.path_mtu = static_cast<std::uint8_t>(qp.attr.path_mtu);
  packet.is_inline = wr.is_inline ? 1 : 0;
  packet.src_qpn = qp.shell.c.qp_num;
  packet.dst_qpn = qp.attr.dest_qp_num;
  packet.psn = qp.attr.sq_psn;
  const int device = qp.context->device;
  const int port = qp.attr.port_num;
  packet.slid = port_lid(device, port);
  const auto self = device_config(device);
  packet.src_ethernet = self.ethernet ? 1 : 0;
  packet.src_subnet = self.subnet;
  packet.pkey = pkey_at(device, qp.attr.pkey_index);
  packet.dlid = qp.attr.ah_attr.dlid;
  if (qp.attr.ah_attr.is_global != 0) {
    packet.has_grh = 1;
    const auto source = gid_entry(device, port, qp.attr.ah_attr.grh.sgid_index);
    std::memcpy(packet.sgid, source.gid.raw, 16);
    packet.sgid_type = static_cast<std::uint8_t>(source.type);
    std::memcpy(packet.dgid, qp.attr.ah_attr.grh.dgid.raw, 16);
  }
  packet.imm = wr.imm;
  packet.rkey = wr.rkey;
  packet.remote_address = wr.remote_address;
  packet.length = wr.length;
  packet.pid = static_cast<std::int32_t>(::getpid());
  packet.segments = wr.is_inline ? 0 : static_cast<std::uint32_t>(wr.sges.size());
  std::memcpy(buffer.data(), &packet, sizeof(packet));
  std::size_t at = sizeof(packet);
  if (wr.is_inline) {
    std::memcpy(buffer.data() + at, wr.inline_data.data(), wr.inline_data.size());
    at += wr.inline_data.size();
  } else {
    for (const auto& sge : wr.sges) {
      const RemoteSegment segment{sge.addr, sge.length};
      std::memcpy(buffer.data() + at, &segment, sizeof(segment));
      at += sizeof(segment);
    }
  }
  send_packet(qp, qp.attr.dest_qp_num, buffer.data(), at);
  qp.deadline = Clock::now() + ack_timeout(qp.attr.timeout);
  wake(*qp.context, qp.deadline);
}

// Local checks a requester makes when it starts a work request.
ibv_wc_status validate_local(const Qp& qp, const SendWr& wr) {
  if (wr.length > config().max_msg_sz) return IBV_WC_LOC_LEN_ERR;
  if (wr.is_inline) return IBV_WC_SUCCESS;
  for (std::size_t i = 0; i < wr.sges.size(); ++i) {
    const auto& sge = wr.sges[i];
    if (sge.length == 0) continue;
    const auto* mr = wr.mrs[i];
    if (mr == nullptr || mr->pd != qp.pd) return IBV_WC_LOC_PROT_ERR;
    const auto begin = reinterpret_cast<std::uintptr_t>(mr->shell.c.addr);
    if (sge.addr < begin || sge.addr + sge.length > begin + mr->shell.c.length) {
      return IBV_WC_LOC_PROT_ERR;
    }
  }
  return IBV_WC_SUCCESS;
}

void send_ack(const Qp& qp, std::uint32_t psn, std::uint8_t syndrome) {
  Packet ack{};
  ack.kind = Kind::ack;
  ack.syndrome = syndrome;
  ack.src_qpn = qp.shell.c.qp_num;
  ack.dst_qpn = qp.attr.dest_qp_num;
  ack.psn = psn;
  ack.rnr_timer = qp.attr.min_rnr_timer;
  send_packet(qp, qp.attr.dest_qp_num, &ack, sizeof(ack));
}

// Partition membership: the same partition, and not both limited members.
bool pkeys_match(std::uint16_t a, std::uint16_t b) {
  if ((a & 0x7fffU) == 0 || (a & 0x7fffU) != (b & 0x7fffU)) return false;
  return ((a | b) & 0x8000U) != 0;
}

// Whether a request reached this queue pair the way a fabric would deliver it.
bool deliverable(const Qp& qp, const Packet& packet) {
  if (packet.src_qpn != qp.attr.dest_qp_num) return false;
  const int device = qp.context->device;
  const int port = qp.attr.port_num;
  const auto self = device_config(device);
  if ((packet.src_ethernet != 0) != self.ethernet) return false;  // no IB-Ethernet bridge
  if (!pkeys_match(packet.pkey, pkey_at(device, qp.attr.pkey_index))) return false;
  if (self.ethernet) {
    // A routed RoCE v2 fabric carries only v2 packets from a real source address.
    if (packet.has_grh == 0 || packet.sgid_type != IBV_GID_TYPE_ROCE_V2) return false;
    static constexpr std::uint8_t kZero[16] = {};
    if (std::memcmp(packet.sgid, kZero, 16) == 0) return false;
    bool ours = false;
    for (int index = 0; index < kGidTableLength; ++index) {
      const auto entry = gid_entry(device, port, index);
      if (!entry.empty && entry.type == IBV_GID_TYPE_ROCE_V2 &&
          std::memcmp(entry.gid.raw, packet.dgid, 16) == 0) {
        ours = true;
      }
    }
    if (!ours) return false;
    return std::memcmp(qp.attr.ah_attr.grh.dgid.raw, packet.sgid, 16) == 0;
  }
  // Without a GRH a packet is routed by LID only: it stays in its subnet.
  if (packet.has_grh == 0 && packet.src_subnet != self.subnet) return false;
  if (packet.dlid != port_lid(device, port)) return false;
  return packet.slid == qp.attr.ah_attr.dlid;
}

// Builds local iovecs for [address, address + length) of the scatter list; false when the
// list cannot hold it.
bool scatter_iovecs(const std::vector<ibv_sge>& sges, std::uint64_t length,
                    std::vector<iovec>& out) {
  std::uint64_t left = length;
  for (const auto& sge : sges) {
    if (left == 0) break;
    const auto take = std::min<std::uint64_t>(left, sge.length);
    out.push_back({reinterpret_cast<void*>(static_cast<std::uintptr_t>(sge.addr)), take});
    left -= take;
  }
  return left == 0;
}

// Moves the payload into `local`: from the packet (inline) or the requester's memory.
bool pull(const Packet& packet, const std::byte* tail, const std::vector<iovec>& local) {
  if (packet.length == 0) return true;
  if (packet.is_inline != 0) {
    const std::byte* from = tail;
    for (const auto& piece : local) {
      std::memcpy(piece.iov_base, from, piece.iov_len);
      from += piece.iov_len;
    }
    return true;
  }
  std::vector<iovec> remote;
  for (std::uint32_t i = 0; i < packet.segments; ++i) {
    RemoteSegment segment{};
    std::memcpy(&segment, tail + i * sizeof(RemoteSegment), sizeof(segment));
    if (segment.length > 0) {
      remote.push_back(
          {reinterpret_cast<void*>(static_cast<std::uintptr_t>(segment.address)), segment.length});
    }
  }
  const auto moved =
      ::process_vm_readv(packet.pid, local.data(), local.size(), remote.data(), remote.size(), 0);
  return moved == static_cast<ssize_t>(packet.length);
}

void respond(Qp& qp, const Packet& packet, const std::byte* tail) {
  const auto state = qp.attr.qp_state;
  if (state != IBV_QPS_RTR && state != IBV_QPS_RTS) return;  // silently dropped
  if (!deliverable(qp, packet)) return;
  // A larger path MTU at the requester: its packets exceed what this end accepts.
  if (packet.path_mtu > qp.attr.path_mtu &&
      packet.length > static_cast<std::uint64_t>(mtu_bytes(qp.attr.path_mtu))) {
    return;
  }
  if (qp.has_last && packet.psn == qp.last_psn) {
    send_ack(qp, packet.psn, qp.last_syndrome);  // a retransmission: answer it again
    return;
  }
  if (packet.psn != qp.attr.rq_psn) return;  // out of sequence: the requester times out

  const auto opcode = static_cast<ibv_wr_opcode>(packet.opcode);
  const bool write = opcode == IBV_WR_RDMA_WRITE || opcode == IBV_WR_RDMA_WRITE_WITH_IMM;
  const bool consumes_receive = opcode != IBV_WR_RDMA_WRITE;
  auto fail = [&](std::uint8_t syndrome) {
    send_ack(qp, packet.psn, syndrome);
    to_error(qp);
  };
  // The receive queue: the queue pair's own, or its shared receive queue.
  auto& receives = qp.srq != nullptr ? qp.srq->queue : qp.recv_queue;
  const Pd* receive_pd = qp.srq != nullptr ? qp.srq->pd : qp.pd;
  auto take_receive = [&] {
    auto wr = std::move(receives.front());
    receives.pop_front();
    release(wr.mrs);
    if (qp.srq != nullptr) srq_consumed(*qp.srq);
    return wr;
  };
  if (consumes_receive && receives.empty()) {
    send_ack(qp, packet.psn, kNakRnr);
    return;
  }
  std::vector<iovec> local;
  if (write) {
    if ((qp.attr.qp_access_flags & IBV_ACCESS_REMOTE_WRITE) == 0) return fail(kNakRemoteAccess);
    if (packet.length > 0) {
      const auto* mr = find_mr(*qp.context, packet.rkey);
      if (mr == nullptr || mr->pd != qp.pd || (mr->access & IBV_ACCESS_REMOTE_WRITE) == 0 ||
          packet.remote_address < mr->iova ||
          packet.remote_address + packet.length > mr->iova + mr->shell.c.length) {
        return fail(kNakRemoteAccess);
      }
      const auto offset = packet.remote_address - mr->iova;
      local.push_back({mr->data() + offset, packet.length});
    }
  } else {
    auto& receive = receives.front();
    for (std::size_t i = 0; i < receive.sges.size(); ++i) {
      const auto& sge = receive.sges[i];
      const auto* mr = receive.mrs[i];
      const auto begin = mr == nullptr ? 0 : reinterpret_cast<std::uintptr_t>(mr->shell.c.addr);
      if (sge.length > 0 && (mr == nullptr || mr->pd != receive_pd || sge.addr < begin ||
                             sge.addr + sge.length > begin + mr->shell.c.length)) {
        auto wr = take_receive();
        push_cqe(*qp.recv_cq, error_wc(wr.wr_id, qp.shell.c.qp_num, IBV_WC_LOC_PROT_ERR), 0, false);
        return fail(kNakOperation);
      }
    }
    if (!scatter_iovecs(receive.sges, packet.length, local)) {
      // The receive buffer is too small for the message.
      auto wr = take_receive();
      push_cqe(*qp.recv_cq, error_wc(wr.wr_id, qp.shell.c.qp_num, IBV_WC_LOC_LEN_ERR), 0, false);
      return fail(kNakInvalidRequest);
    }
  }
  if (!pull(packet, tail, local)) return;  // the requester is gone: nobody to answer
  if (consumes_receive) {
    auto wr = take_receive();
    ibv_wc wc{};
    wc.wr_id = wr.wr_id;
    wc.status = IBV_WC_SUCCESS;
    wc.opcode = write ? IBV_WC_RECV_RDMA_WITH_IMM : IBV_WC_RECV;
    wc.byte_len = static_cast<std::uint32_t>(packet.length);
    wc.qp_num = qp.shell.c.qp_num;
    wc.src_qp = packet.src_qpn;
    wc.slid = packet.slid;
    if (opcode == IBV_WR_RDMA_WRITE_WITH_IMM || opcode == IBV_WR_SEND_WITH_IMM) {
      wc.wc_flags = IBV_WC_WITH_IMM;
      wc.imm_data = packet.imm;
    }
    if (packet.has_grh != 0) wc.wc_flags |= IBV_WC_GRH;
    push_cqe(*qp.recv_cq, wc, 0, false);
  }
  qp.has_last = true;
  qp.last_psn = packet.psn;
  qp.last_syndrome = kAckOk;
  qp.attr.rq_psn = (qp.attr.rq_psn + packets_for(packet.length, qp.attr.path_mtu)) & 0xFFFFFFU;
  send_ack(qp, packet.psn, kAckOk);
}

void on_ack(Qp& qp, const Packet& packet) {
  if (!qp.in_flight || packet.psn != qp.attr.sq_psn || packet.src_qpn != qp.attr.dest_qp_num) {
    return;  // stale
  }
  switch (packet.syndrome) {
    case kAckOk: {
      const auto length = qp.send_queue.front().length;
      qp.attr.sq_psn = (qp.attr.sq_psn + packets_for(length, qp.attr.path_mtu)) & 0xFFFFFFU;
      finish_front(qp, IBV_WC_SUCCESS);
      kick(qp);
      return;
    }
    case kNakRnr:
      if (qp.rnr_left == 0) {
        finish_front(qp, IBV_WC_RNR_RETRY_EXC_ERR, 0x82);
        return;
      }
      if (qp.attr.rnr_retry != 7) --qp.rnr_left;
      qp.rnr_wait = true;
      qp.deadline = Clock::now() + rnr_delay(packet.rnr_timer);
      wake(*qp.context, qp.deadline);
      return;
    case kNakRemoteAccess:
      finish_front(qp, IBV_WC_REM_ACCESS_ERR, 0x88);
      return;
    case kNakInvalidRequest:
      finish_front(qp, IBV_WC_REM_INV_REQ_ERR, 0x8a);
      return;
    default:
      finish_front(qp, IBV_WC_REM_OP_ERR, 0x89);
      return;
  }
}

void on_timer(Qp& qp) {
  if (qp.rnr_wait) {
    qp.rnr_wait = false;
    transmit(qp);
    return;
  }
  if (qp.retries_left == 0) {
    finish_front(qp, IBV_WC_RETRY_EXC_ERR, 0x81);
    return;
  }
  --qp.retries_left;
  transmit(qp);
}

void drain_socket(Context& context, std::uint32_t qpn, std::vector<std::byte>& buffer) {
  for (;;) {
    const auto found = context.qps.find(qpn);
    if (found == context.qps.end()) return;
    Qp& qp = *found->second;
    const auto got = ::recv(qp.socket, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (got < static_cast<ssize_t>(sizeof(Packet))) return;
    if (context.port_down) continue;  // a dead link: nothing arrives
    Packet packet{};
    std::memcpy(&packet, buffer.data(), sizeof(packet));
    if (packet.kind == Kind::request) {
      respond(qp, packet, buffer.data() + sizeof(Packet));
    } else {
      on_ack(qp, packet);
    }
  }
}

void run_wire(Context* context) {
  std::vector<std::byte> buffer(kMaxPacket);
  std::array<epoll_event, 16> events{};
  for (;;) {
    int timeout_ms = -1;
    {
      std::lock_guard lock(context->mutex);
      if (context->stop) return;
      const auto now = Clock::now();
      auto next = Clock::time_point::max();
      for (auto& [qpn, qp] : context->qps) {
        if (!qp->in_flight) continue;
        if (qp->deadline <= now) {
          on_timer(*qp);
        }
        if (qp->in_flight && qp->deadline < next) next = qp->deadline;
      }
      context->planned_wake = next;
      if (next != Clock::time_point::max()) {
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now());
        timeout_ms = static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 60000));
      }
    }
    const int ready =
        ::epoll_wait(context->epoll_fd, events.data(), static_cast<int>(events.size()), timeout_ms);
    std::lock_guard lock(context->mutex);
    for (int i = 0; i < ready; ++i) {
      const auto key = events[static_cast<std::size_t>(i)].data.u64;
      if (key == 0) {
        std::uint64_t count = 0;
        (void)::read(context->wake_fd, &count, sizeof(count));
        continue;
      }
      drain_socket(*context, static_cast<std::uint32_t>(key), buffer);
    }
  }
}

}  // namespace

void kick(Qp& qp) {
  while (qp.attr.qp_state == IBV_QPS_RTS && !qp.in_flight && !qp.send_queue.empty()) {
    auto& wr = qp.send_queue.front();
    if (const auto status = validate_local(qp, wr); status != IBV_WC_SUCCESS) {
      finish_front(qp, status);
      return;
    }
    qp.in_flight = true;
    qp.retries_left = qp.attr.retry_cnt;
    qp.rnr_left = qp.attr.rnr_retry;
    transmit(qp);
  }
}

bool open_qp_socket(Qp& qp) {
  qp.path = socket_path(qp.shell.c.qp_num);
  qp.socket = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (qp.socket < 0) return false;
  const int buffer_bytes = 4 << 20;
  (void)::setsockopt(qp.socket, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
  ::unlink(qp.path.c_str());
  const auto address = address_of(qp.path);
  if (::bind(qp.socket, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(qp.socket);
    qp.socket = -1;
    return false;
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = qp.shell.c.qp_num;
  ::epoll_ctl(qp.context->epoll_fd, EPOLL_CTL_ADD, qp.socket, &event);
  return true;
}

void close_qp_socket(Qp& qp) {
  if (qp.socket < 0) return;
  ::epoll_ctl(qp.context->epoll_fd, EPOLL_CTL_DEL, qp.socket, nullptr);
  ::close(qp.socket);
  ::unlink(qp.path.c_str());
  qp.socket = -1;
}

void start_wire(Context& context) {
  context.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  context.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = 0;
  ::epoll_ctl(context.epoll_fd, EPOLL_CTL_ADD, context.wake_fd, &event);
  context.wire = std::thread(run_wire, &context);
}

void stop_wire(Context& context) {
  {
    std::lock_guard lock(context.mutex);
    context.stop = true;
  }
  const std::uint64_t one = 1;
  (void)::write(context.wake_fd, &one, sizeof(one));
  if (context.wire.joinable()) context.wire.join();
  ::close(context.epoll_fd);
  ::close(context.wake_fd);
}

}  // namespace fakeverbs
