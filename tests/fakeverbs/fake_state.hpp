// The software RDMA device's objects and their shared state. Every libibverbs object the
// library hands out is the first member of a standard-layout Shell whose second member
// points back to the device's own record, so an ibv_qp* (or ibv_cq*, ...) finds its state
// without a lookup table. All state of one context is guarded by that context's mutex:
// the application's calls and the context's wire thread (fake_wire.cpp) take it.
#pragma once

#include <infiniband/verbs.h>

#include <atomic>
#include <cerrno>
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

// Sets errno and returns it, as the verbs calls that fail with an errno do.
inline int fail(int error) {
  errno = error;
  return error;
}

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

enum class Transport : std::uint8_t { ib, iwarp, unspecified };

// What the environment configures (fake_config.cpp documents each variable).
struct Config {
  bool enabled = false;  // FB_FAKEVERBS_DIR set: devices exist
  std::string dir;
  std::vector<std::string> links;       // per device, the last repeating: "ib" or "roce"
  std::vector<std::string> transports;  // per device: "ib", "iwarp" or "unspecified"
  std::vector<std::uint64_t> subnets;   // per device: InfiniBand subnet prefixes
  int devices = 1;
  int ports = 1;
  long mtu_bytes = -1;       // FB_FAKEVERBS_MTU; -1: the link's default
  std::uint32_t speed = 64;  // IBV speed code (64: 50 Gb/s per lane, HDR; 256: XDR)
  std::uint8_t width = 2;    // IBV width code (2: 4x)
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
  bool fork_needed = false;  // ibv_is_fork_initialized: DISABLED until ibv_fork_init
  int max_srq = 8388608;
  int max_srq_wr = 32768;
  long port_down_after = -1;  // the Nth send work request a context posts takes its ports down
  std::string trace;          // FB_FAKEVERBS_TRACE: the test trace file; empty: none
  int pkeys = -1;             // pkey table length; -1: the link's default
  std::vector<std::uint16_t> pkey_table;  // index 0.. (the rest 0)
};
const Config& config();

// One device as configured (lists in the environment, the last entry repeating).
struct DeviceConfig {
  Transport transport = Transport::ib;
  bool ethernet = false;  // RoCE, or iWARP: Ethernet link layer and the RoCE-style GID table
  std::uint64_t subnet = 0xfe80000000000000ULL;
  ibv_mtu active_mtu = IBV_MTU_4096;
  int pkeys = 128;
};
DeviceConfig device_config(int device);
// A pkey table entry (host order), 0 when empty or beyond the table.
std::uint16_t pkey_at(int device, int index);
// FB_FAKEVERBS_STARVE_RECV: whether the next posted receive is lost on the way to the device.
bool starve_next_receive();

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
struct Srq;

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
  // A dma-buf registration: the fd's pages mapped here; the wire moves the region's bytes
  // through this mapping (work requests still name the region by its iova).
  std::byte* alias = nullptr;
  void* alias_map = nullptr;
  std::size_t alias_map_length = 0;
  std::byte* data() const {
    return alias != nullptr ? alias : static_cast<std::byte*>(shell.c.addr);
  }
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

struct Srq {
  Shell<ibv_srq, Srq> shell{};
  Context* context = nullptr;
  Pd* pd = nullptr;
  std::uint32_t max_wr = 0;  // granted
  std::uint32_t max_sge = 0;
  std::uint32_t limit = 0;
  bool armed = false;
  std::size_t outstanding = 0;  // posted and not yet polled as a completion
  int users = 0;                // queue pairs attached
  std::deque<RecvWr> queue;
};

struct Qp {
  Shell<ibv_qp, Qp> shell{};
  Context* context = nullptr;
  Pd* pd = nullptr;
  Srq* srq = nullptr;  // receives come from it
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
  std::map<Srq*, std::unique_ptr<Srq>> srqs;
  std::deque<ibv_async_event> async_events;
  bool port_down = false;  // FB_FAKEVERBS_PORT_DOWN_AFTER: every packet to or from it is lost
  // Send work requests posted successfully (the close_device trace line).
  struct Counters {
    long send_wrs = 0;
    long signalled = 0;
    long inlined = 0;
    long sends = 0;
    long rdma_writes = 0;
    long rdma_writes_with_imm = 0;
    long zero_length_writes = 0;
  } counters;
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

Mr* find_mr(Context& context, std::uint32_t key);
// Releases the memory regions a work request named.
void release(std::vector<Mr*>& mrs);
// A posted receive as a queue keeps it: its scatter list, and its memory regions held busy.
RecvWr posted_receive(Context& context, const ibv_recv_wr& wr);

// fake_qp.cpp
int modify_qp(Qp& qp, const ibv_qp_attr& attr, int mask);

// fake_ops.cpp: the context's ops.
int op_poll_cq(ibv_cq* handle, int entries, ibv_wc* wc);
int op_req_notify_cq(ibv_cq* handle, int solicited_only);
int op_post_send(ibv_qp* handle, ibv_send_wr* wr, ibv_send_wr** bad);
int op_post_recv(ibv_qp* handle, ibv_recv_wr* wr, ibv_recv_wr** bad);

// fake_srq.cpp
int post_srq_recv(ibv_srq* handle, ibv_recv_wr* wr, ibv_recv_wr** bad);
// A receive was taken from the SRQ: raises SRQ_LIMIT_REACHED when armed and below the limit.
void srq_consumed(Srq& srq);

// fake_port.cpp: the context ops for ports and the extended device query.
int query_port(ibv_context* handle, std::uint8_t port, ibv_port_attr* attr, std::size_t size);
int query_device_ex(ibv_context* handle, const ibv_query_device_ex_input* input,
                    ibv_device_attr_ex* attr, std::size_t size);
// FB_FAKEVERBS_PORT_DOWN_AFTER: counts a posted send work request; takes the ports down at
// the configured one. Caller holds the lock.
void count_send_for_port_down(Context& context);

// fake_trace.cpp: FB_FAKEVERBS_TRACE lines ("pid=<pid> " is prepended, a newline appended).
bool tracing();
void trace(const std::string& line);
void trace_refused(const char* call, int error);
const char* errno_name(int error);
const char* event_name(ibv_event_type event);
const char* qp_state_name(ibv_qp_state state);
std::string hex(std::uint64_t value);

}  // namespace fakeverbs
