// The software RDMA device's objects and their shared state. Every libibverbs object the
// library hands out is the first member of a standard-layout Shell whose second member
// points back to the device's own record, so an ibv_qp* (or ibv_cq*, ...) finds its state
// without a lookup table. All state of one context is guarded by that context's mutex:
// the application's calls and the context's wire thread (fake_wire.cpp) take it.
#pragma once

#include <infiniband/verbs.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace fakeverbs {

using Clock = std::chrono::steady_clock;

template <typename C, typename S>
struct Shell {
  C c;
  S* self;
};

template <typename S, typename C>
S* state_of(C* handle) {
  return reinterpret_cast<Shell<C, S>*>(handle)->self;
}

// What the environment configures (fake_config.cpp documents each variable).
struct Config {
  bool enabled = false;  // FB_FAKEVERBS_DIR set: devices exist
  std::string dir;
  bool roce = false;
  int devices = 1;
  int ports = 1;
  ibv_mtu active_mtu = IBV_MTU_4096;
  std::uint8_t speed = 64;  // IBV speed code (64: 50 Gb/s per lane, HDR)
  std::uint8_t width = 2;   // IBV width code (2: 4x)
  int max_qp_wr = 32768;
  int max_sge = 30;
  int max_inline = 512;
  int max_cqe = 4194303;
  std::uint32_t max_msg_sz = 1U << 30;
  std::uint64_t seed = 1;
  int host = 1;
  long corrupt_rkey_at = -1;        // the Nth remote-addressed RDMA write (from 1) gets a bad rkey
  long starve_receives_after = -1;  // receives posted after the first N never reach the wire
  bool memlock_enforced = true;
};
const Config& config();

struct GidEntry {
  ibv_gid gid{};
  ibv_gid_type type = IBV_GID_TYPE_IB;
  bool empty = true;
};
// The GID table of a port: InfiniBand, index 0 only; RoCE: mlx5's layout, 0/1 link-local
// (RoCE v1 / v2), 2/3 IPv4-mapped (v1 / v2), 4..gid_table_length-1 empty.
constexpr int kGidTableLength = 8;
GidEntry gid_entry(int device, int port, int index);
std::uint16_t port_lid(int device, int port);
int mtu_bytes(ibv_mtu mtu);

struct Context;
struct Pd;
struct Cq;
struct Qp;

struct Device {
  Shell<ibv_device, Device> shell{};
  int index = 0;
};

struct Pd {
  Shell<ibv_pd, Pd> shell{};
  Context* context = nullptr;
  int children = 0;  // memory regions and queue pairs
};

struct Mr {
  Shell<ibv_mr, Mr> shell{};
  Pd* pd = nullptr;
  int access = 0;
  std::uint64_t iova = 0;
  std::uint64_t pinned_bytes = 0;
  int busy = 0;  // posted work requests naming it
};

struct CompChannel {
  Shell<ibv_comp_channel, CompChannel> shell{};
  int write_fd = -1;
};

struct Cqe {
  ibv_wc wc{};
  std::uint64_t sequence = 0;  // send completions: the work request's sequence number
  bool send = false;
};

struct Cq {
  Shell<ibv_cq, Cq> shell{};
  Context* context = nullptr;
  int capacity = 0;
  std::size_t count = 0;
  // count, readable without the lock: an empty poll must not contend with the wire thread.
  std::atomic<std::size_t> visible{0};
  bool overrun = false;
  int users = 0;
  bool armed = false;
  CompChannel* channel = nullptr;
  // Completions per (queue pair, direction): order is kept within one, random across them.
  std::map<std::pair<std::uint32_t, bool>, std::deque<Cqe>> queues;
};

struct SendWr {
  std::uint64_t wr_id = 0;
  std::uint64_t sequence = 0;
  ibv_wr_opcode opcode = IBV_WR_SEND;
  bool signalled = false;
  std::uint32_t imm = 0;  // network order, as posted
  std::uint64_t remote_address = 0;
  std::uint32_t rkey = 0;
  std::vector<ibv_sge> sges;
  std::vector<std::byte> inline_data;
  bool is_inline = false;
  std::uint64_t length = 0;
  std::vector<Mr*> mrs;
};

struct RecvWr {
  std::uint64_t wr_id = 0;
  std::vector<ibv_sge> sges;
  std::vector<Mr*> mrs;
};

struct Qp {
  Shell<ibv_qp, Qp> shell{};
  Context* context = nullptr;
  Pd* pd = nullptr;
  Cq* send_cq = nullptr;
  Cq* recv_cq = nullptr;
  ibv_qp_cap cap{};
  bool sig_all = false;
  ibv_qp_attr attr{};  // the values set by the transitions so far
  int socket = -1;
  std::string path;

  std::deque<SendWr> send_queue;  // not yet executed (the front may be in flight)
  std::uint64_t posted = 0;       // send work requests ever posted
  std::uint64_t retired = 0;      // ... whose slots a polled completion released
  std::size_t recv_outstanding = 0;
  std::deque<RecvWr> recv_queue;

  // Requester: the front work request in flight.
  bool in_flight = false;
  bool rnr_wait = false;
  int retries_left = 0;
  int rnr_left = 0;
  Clock::time_point deadline{};
  // Responder: the last request executed, to answer a retransmission.
  bool has_last = false;
  std::uint32_t last_psn = 0;
  std::uint8_t last_syndrome = 0;
};

struct Context {
  Shell<verbs_context, Context> shell{};
  int device = 0;
  std::mutex mutex;
  std::map<std::uint32_t, std::unique_ptr<Qp>> qps;
  std::map<Pd*, std::unique_ptr<Pd>> pds;
  std::map<Cq*, std::unique_ptr<Cq>> cqs;
  std::map<std::uint32_t, std::unique_ptr<Mr>> mrs;  // by key (lkey == rkey)
  std::map<CompChannel*, std::unique_ptr<CompChannel>> channels;
  std::deque<ibv_async_event> async_events;
  int async_write_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  bool stop = false;
  Clock::time_point planned_wake = Clock::time_point::max();
  std::mt19937_64 random;
  std::thread wire;
};

inline Context* context_of(ibv_context* context) {
  return reinterpret_cast<Shell<verbs_context, Context>*>(reinterpret_cast<char*>(context) -
                                                          offsetof(verbs_context, context))
      ->self;
}

// fake_wire.cpp
void start_wire(Context& context);
void stop_wire(Context& context);
bool open_qp_socket(Qp& qp);
void close_qp_socket(Qp& qp);
// Starts the front send work request when the queue pair may send. Caller holds the lock.
void kick(Qp& qp);
// Moves a queue pair to the error state, flushing everything outstanding. Caller holds it.
void to_error(Qp& qp);
void push_cqe(Cq& cq, const ibv_wc& wc, std::uint64_t sequence, bool send);
void raise_async(Context& context, const ibv_async_event& event);
// Error completions carry garbage in the fields the specification leaves undefined.
ibv_wc error_wc(std::uint64_t wr_id, std::uint32_t qpn, ibv_wc_status status);

// fake_qp.cpp
int modify_qp(Qp& qp, const ibv_qp_attr& attr, int mask);

}  // namespace fakeverbs
