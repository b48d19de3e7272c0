// The exported libibverbs entry points of the software RDMA device (LD_PRELOAD it). The
// inline verbs (ibv_post_send, ibv_post_recv, ibv_poll_cq, ibv_req_notify_cq) reach this
// library through the ops of the context it returns; ibv_query_port through verbs_context.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tests/fakeverbs/fake_state.hpp"

#undef ibv_query_port
#undef ibv_reg_mr
#undef ibv_reg_mr_iova

using namespace fakeverbs;  // NOLINT(google-build-using-namespace): the C ABI wraps it

namespace {

std::vector<std::unique_ptr<Device>>& devices() {
  static std::vector<std::unique_ptr<Device>> list = [] {
    std::vector<std::unique_ptr<Device>> made;
    for (int i = 0; i < config().devices; ++i) {
      auto device = std::make_unique<Device>();
      device->index = i;
      device->shell.self = device.get();
      auto& d = device->shell.c;
      d.node_type = IBV_NODE_CA;
      d.transport_type = IBV_TRANSPORT_IB;
      std::snprintf(d.name, sizeof(d.name), "fv_%d", i);
      std::snprintf(d.dev_name, sizeof(d.dev_name), "uverbs%d", i);
      std::snprintf(d.dev_path, sizeof(d.dev_path), "/sys/class/infiniband_verbs/uverbs%d", i);
      std::snprintf(d.ibdev_path, sizeof(d.ibdev_path), "/sys/class/infiniband/fv_%d", i);
      made.push_back(std::move(device));
    }
    return made;
  }();
  return list;
}

std::atomic<std::uint64_t> g_pinned_bytes{0};
std::atomic<std::uint32_t> g_next_key{0x1000};
std::atomic<long> g_rdma_writes{0};
std::atomic<bool> g_fork_init{false};
std::atomic<long> g_receives_posted{0};

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

std::uint32_t next_key() {
  // Spread the keys so that a corrupted one never names another region by chance.
  return g_next_key.fetch_add(0x101) * 2654435761U;
}

int fail(int error) {
  errno = error;
  return error;
}

template <typename T>
T* fail_null(int error) {
  errno = error;
  return nullptr;
}

void fill_port(const Context& context, std::uint8_t port, ibv_port_attr& attr) {
  const auto& c = config();
  attr = ibv_port_attr{};
  attr.state = IBV_PORT_ACTIVE;
  attr.max_mtu = IBV_MTU_4096;
  attr.active_mtu = c.active_mtu;
  attr.gid_tbl_len = kGidTableLength;
  attr.port_cap_flags = IBV_PORT_CM_SUP;
  attr.max_msg_sz = c.max_msg_sz;
  attr.pkey_tbl_len = 1;
  attr.lid = c.roce ? 0 : port_lid(context.device, port);
  attr.sm_lid = c.roce ? 0 : 1;
  attr.max_vl_num = 4;
  attr.active_width = c.width;
  attr.active_speed = c.speed;
  attr.phys_state = 5;  // LinkUp
  attr.link_layer = c.roce ? IBV_LINK_LAYER_ETHERNET : IBV_LINK_LAYER_INFINIBAND;
}

int query_port_full(ibv_context* handle, std::uint8_t port, ibv_port_attr* attr,
                    std::size_t attr_size) {
  if (port < 1 || port > config().ports) return EINVAL;
  ibv_port_attr full{};
  fill_port(*context_of(handle), port, full);
  std::memcpy(attr, &full, std::min(attr_size, sizeof(full)));
  return 0;
}

std::uint64_t page_span(const void* address, std::size_t length) {
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(address) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(address) + length + page - 1) / page * page;
  return end - begin;
}

Mr* mr_for(Context& context, std::uint32_t lkey) {
  const auto found = context.mrs.find(lkey);
  return found == context.mrs.end() ? nullptr : found->second.get();
}

// ---- the context's ops ----

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
        auto* mr = sge.length == 0 ? nullptr : mr_for(context, sge.lkey);
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
    if (state == IBV_QPS_ERR) {
      for (auto* mr : entry.mrs)
        if (mr != nullptr) --mr->busy;
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
    if (qp->attr.qp_state == IBV_QPS_RESET) error = EINVAL;
    if (wr->num_sge < 0 || static_cast<std::uint32_t>(wr->num_sge) > qp->cap.max_recv_sge) {
      error = EINVAL;
    }
    if (error == 0 && qp->recv_outstanding >= qp->cap.max_recv_wr) error = ENOMEM;
    if (error != 0) {
      *bad = wr;
      return fail(error);
    }
    RecvWr entry;
    entry.wr_id = wr->wr_id;
    for (int i = 0; i < wr->num_sge; ++i) {
      entry.sges.push_back(wr->sg_list[i]);
      auto* mr = wr->sg_list[i].length == 0 ? nullptr : mr_for(context, wr->sg_list[i].lkey);
      if (mr != nullptr) ++mr->busy;
      entry.mrs.push_back(mr);
    }
    ++qp->recv_outstanding;
    const long starve = config().starve_receives_after;
    if (starve >= 0 && ++g_receives_posted > starve) {
      for (auto* mr : entry.mrs)
        if (mr != nullptr) --mr->busy;
      continue;  // lost on the way to the device
    }
    if (qp->attr.qp_state == IBV_QPS_ERR) {
      for (auto* mr : entry.mrs)
        if (mr != nullptr) --mr->busy;
      push_cqe(*qp->recv_cq, error_wc(entry.wr_id, handle->qp_num, IBV_WC_WR_FLUSH_ERR), 0, false);
      continue;
    }
    qp->recv_queue.push_back(std::move(entry));
  }
  return 0;
}

int op_post_srq_recv(ibv_srq*, ibv_recv_wr* wr, ibv_recv_wr** bad) {
  *bad = wr;
  return fail(EOPNOTSUPP);
}

int vop_query_device_ex(ibv_context*, const ibv_query_device_ex_input*, ibv_device_attr_ex*,
                        std::size_t) {
  return EOPNOTSUPP;  // the caller falls back to ibv_query_device
}

}  // namespace

extern "C" {

ibv_device** ibv_get_device_list(int* num_devices) {
  const auto& c = config();
  const auto& list = devices();
  const std::size_t count = c.enabled ? list.size() : 0;
  auto** out = static_cast<ibv_device**>(std::calloc(count + 1, sizeof(ibv_device*)));
  if (out == nullptr) return fail_null<ibv_device*>(ENOMEM);
  for (std::size_t i = 0; i < count; ++i)
    out[i] = &list[i]->shell.c;
  if (num_devices != nullptr) *num_devices = static_cast<int>(count);
  return out;
}

void ibv_free_device_list(ibv_device** list) {
  std::free(static_cast<void*>(list));
}

const char* ibv_get_device_name(ibv_device* device) {
  return device->name;
}

int ibv_get_device_index(ibv_device* device) {
  return state_of<Device>(device)->index;
}

__be64 ibv_get_device_guid(ibv_device* device) {
  const auto index = static_cast<std::uint64_t>(state_of<Device>(device)->index);
  return htobe64(0x0c42a10300000000ULL | (static_cast<std::uint64_t>(config().host) << 8) | index);
}

int ibv_fork_init(void) {
  g_fork_init = true;
  return 0;
}

ibv_fork_status ibv_is_fork_initialized(void) {
  return IBV_FORK_UNNEEDED;
}

ibv_context* ibv_open_device(ibv_device* handle) {
  auto* device = state_of<Device>(handle);
  auto context = std::make_unique<Context>();
  context->device = device->index;
  context->shell.self = context.get();
  context->random.seed(config().seed * 1000003U + static_cast<std::uint64_t>(::getpid()));
  auto& v = context->shell.c;
  v.sz = sizeof(verbs_context);
  v.query_port = query_port_full;
  v.query_device_ex = vop_query_device_ex;
  auto& c = v.context;
  c.device = handle;
  c.abi_compat = __VERBS_ABI_IS_EXTENDED;
  c.ops.poll_cq = op_poll_cq;
  c.ops.req_notify_cq = op_req_notify_cq;
  c.ops.post_send = op_post_send;
  c.ops.post_recv = op_post_recv;
  c.ops.post_srq_recv = op_post_srq_recv;
  c.num_comp_vectors = 1;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_null<ibv_context>(errno);
  c.async_fd = fds[0];
  context->async_write_fd = fds[1];
  c.cmd_fd = -1;
  start_wire(*context);
  return &context.release()->shell.c.context;
}

int ibv_close_device(ibv_context* handle) {
  std::unique_ptr<Context> context(context_of(handle));
  stop_wire(*context);
  for (auto& [qpn, qp] : context->qps)
    close_qp_socket(*qp);
  ::close(handle->async_fd);
  ::close(context->async_write_fd);
  return 0;
}

int ibv_query_device(ibv_context* handle, ibv_device_attr* attr) {
  const auto& c = config();
  *attr = ibv_device_attr{};
  std::snprintf(attr->fw_ver, sizeof(attr->fw_ver), "fakeverbs-1.0");
  attr->node_guid = ibv_get_device_guid(handle->device);
  attr->sys_image_guid = attr->node_guid;
  attr->max_mr_size = ~0ULL;
  attr->page_size_cap = 0xfffff000;
  attr->vendor_id = 0x02c9;
  attr->vendor_part_id = 4123;
  attr->max_qp = 1 << 17;
  attr->max_qp_wr = c.max_qp_wr;
  attr->device_cap_flags = IBV_DEVICE_RC_RNR_NAK_GEN | IBV_DEVICE_PORT_ACTIVE_EVENT;
  attr->max_sge = c.max_sge;
  attr->max_sge_rd = c.max_sge;
  attr->max_cq = 1 << 16;
  attr->max_cqe = c.max_cqe;
  attr->max_mr = 1 << 20;
  attr->max_pd = 1 << 16;
  attr->max_qp_rd_atom = 16;
  attr->max_qp_init_rd_atom = 16;
  attr->max_res_rd_atom = 1 << 20;
  attr->atomic_cap = IBV_ATOMIC_NONE;
  attr->max_pkeys = 1;
  attr->phys_port_cnt = static_cast<std::uint8_t>(c.ports);
  return 0;
}

int ibv_query_port(ibv_context* handle, std::uint8_t port, _compat_ibv_port_attr* attr) {
  // The old entry point fills the structure as it was before `flags` was added.
  return query_port_full(handle, port, reinterpret_cast<ibv_port_attr*>(attr),
                         offsetof(ibv_port_attr, flags));
}

int ibv_query_gid(ibv_context* handle, std::uint8_t port, int index, ibv_gid* gid) {
  if (port < 1 || port > config().ports || index < 0 || index >= kGidTableLength) {
    return fail(EINVAL);
  }
  *gid = gid_entry(context_of(handle)->device, port, index).gid;
  return 0;
}

int _ibv_query_gid_ex(ibv_context* handle, std::uint32_t port, std::uint32_t index,
                      ibv_gid_entry* entry, std::uint32_t flags, std::size_t entry_size) {
  if (flags != 0 || entry_size < sizeof(ibv_gid_entry)) return EINVAL;
  if (port < 1 || port > static_cast<std::uint32_t>(config().ports) ||
      index >= static_cast<std::uint32_t>(kGidTableLength)) {
    return EINVAL;
  }
  const auto found =
      gid_entry(context_of(handle)->device, static_cast<int>(port), static_cast<int>(index));
  if (found.empty) return ENODATA;  // as the kernel answers for an unused entry
  *entry = ibv_gid_entry{};
  entry->gid = found.gid;
  entry->gid_index = index;
  entry->port_num = port;
  entry->gid_type = found.type;
  entry->ndev_ifindex = config().roce ? 2 : 0;
  return 0;
}

ssize_t _ibv_query_gid_table(ibv_context* handle, ibv_gid_entry* entries, std::size_t max,
                             std::uint32_t flags, std::size_t entry_size) {
  if (flags != 0 || entry_size < sizeof(ibv_gid_entry)) return -EINVAL;
  std::size_t got = 0;
  for (int port = 1; port <= config().ports; ++port) {
    for (int index = 0; index < kGidTableLength; ++index) {
      if (_ibv_query_gid_ex(handle, static_cast<std::uint32_t>(port),
                            static_cast<std::uint32_t>(index), &entries[got], 0, entry_size) != 0) {
        continue;
      }
      if (++got == max) return static_cast<ssize_t>(got);
    }
  }
  return static_cast<ssize_t>(got);
}

int ibv_query_pkey(ibv_context*, std::uint8_t port, int index, __be16* pkey) {
  if (port < 1 || port > config().ports || index != 0) return fail(EINVAL);
  *pkey = htobe16(0xffff);
  return 0;
}

int ibv_get_async_event(ibv_context* handle, ibv_async_event* event) {
  char byte = 0;
  if (::read(handle->async_fd, &byte, 1) != 1) return -1;
  auto* context = context_of(handle);
  std::lock_guard lock(context->mutex);
  if (context->async_events.empty()) return -1;
  *event = context->async_events.front();
  context->async_events.pop_front();
  return 0;
}

void ibv_ack_async_event(ibv_async_event*) {}

ibv_pd* ibv_alloc_pd(ibv_context* handle) {
  auto* context = context_of(handle);
  std::lock_guard lock(context->mutex);
  auto pd = std::make_unique<Pd>();
  pd->context = context;
  pd->shell.self = pd.get();
  pd->shell.c.context = handle;
  pd->shell.c.handle = static_cast<std::uint32_t>(context->pds.size() + 1);
  auto* raw = pd.get();
  context->pds[raw] = std::move(pd);
  return &raw->shell.c;
}

int ibv_dealloc_pd(ibv_pd* handle) {
  auto* pd = state_of<Pd>(handle);
  auto* context = pd->context;
  std::lock_guard lock(context->mutex);
  if (pd->children > 0) return fail(EBUSY);
  context->pds.erase(pd);
  return 0;
}

ibv_mr* ibv_reg_mr_iova2(ibv_pd* handle, void* address, std::size_t length, std::uint64_t iova,
                         unsigned int access) {
  auto* pd = state_of<Pd>(handle);
  auto* context = pd->context;
  const bool remote_write = (access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC)) != 0;
  if (remote_write && (access & IBV_ACCESS_LOCAL_WRITE) == 0) return fail_null<ibv_mr>(EINVAL);
  if (address == nullptr && length > 0) return fail_null<ibv_mr>(EFAULT);
  const auto pinned = page_span(address, length);
  if (config().memlock_enforced) {
    rlimit limit{};
    ::getrlimit(RLIMIT_MEMLOCK, &limit);
    if (limit.rlim_cur != RLIM_INFINITY && g_pinned_bytes + pinned > limit.rlim_cur) {
      return fail_null<ibv_mr>(ENOMEM);
    }
  }
  std::lock_guard lock(context->mutex);
  auto mr = std::make_unique<Mr>();
  mr->pd = pd;
  mr->access = static_cast<int>(access);
  mr->iova = iova;
  mr->pinned_bytes = pinned;
  mr->shell.self = mr.get();
  auto& m = mr->shell.c;
  m.context = handle->context;
  m.pd = handle;
  m.addr = address;
  m.length = length;
  std::uint32_t key = 0;
  do {
    key = next_key();
  } while (key == 0 || context->mrs.count(key) != 0);
  m.lkey = key;
  m.rkey = key;
  m.handle = key;
  g_pinned_bytes += pinned;
  ++pd->children;
  auto* raw = mr.get();
  context->mrs[key] = std::move(mr);
  return &raw->shell.c;
}

ibv_mr* ibv_reg_mr(ibv_pd* pd, void* address, std::size_t length, int access) {
  return ibv_reg_mr_iova2(pd, address, length, reinterpret_cast<std::uintptr_t>(address),
                          static_cast<unsigned>(access));
}

ibv_mr* ibv_reg_mr_iova(ibv_pd* pd, void* address, std::size_t length, std::uint64_t iova,
                        int access) {
  return ibv_reg_mr_iova2(pd, address, length, iova, static_cast<unsigned>(access));
}

int ibv_dereg_mr(ibv_mr* handle) {
  auto* mr = state_of<Mr>(handle);
  auto* context = mr->pd->context;
  std::lock_guard lock(context->mutex);
  if (mr->busy > 0) return fail(EBUSY);
  g_pinned_bytes -= mr->pinned_bytes;
  --mr->pd->children;
  context->mrs.erase(handle->lkey);
  return 0;
}

ibv_comp_channel* ibv_create_comp_channel(ibv_context* handle) {
  auto* context = context_of(handle);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return nullptr;
  std::lock_guard lock(context->mutex);
  auto channel = std::make_unique<CompChannel>();
  channel->shell.self = channel.get();
  channel->shell.c.context = handle;
  channel->shell.c.fd = fds[0];
  channel->write_fd = fds[1];
  auto* raw = channel.get();
  context->channels[raw] = std::move(channel);
  return &raw->shell.c;
}

int ibv_destroy_comp_channel(ibv_comp_channel* handle) {
  auto* channel = state_of<CompChannel>(handle);
  auto* context = context_of(handle->context);
  std::lock_guard lock(context->mutex);
  ::close(handle->fd);
  ::close(channel->write_fd);
  context->channels.erase(channel);
  return 0;
}

int ibv_get_cq_event(ibv_comp_channel* channel, ibv_cq** cq, void** cq_context) {
  ibv_cq* got = nullptr;
  if (::read(channel->fd, &got, sizeof(got)) != sizeof(got)) return -1;
  *cq = got;
  *cq_context = got->cq_context;
  return 0;
}

void ibv_ack_cq_events(ibv_cq*, unsigned int) {}

ibv_cq* ibv_create_cq(ibv_context* handle, int cqe, void* cq_context, ibv_comp_channel* channel,
                      int /*comp_vector*/) {
  auto* context = context_of(handle);
  if (cqe < 1 || cqe > config().max_cqe) return fail_null<ibv_cq>(EINVAL);
  std::lock_guard lock(context->mutex);
  auto cq = std::make_unique<Cq>();
  cq->context = context;
  cq->shell.self = cq.get();
  // Like mlx5: the next power of two above the request, less one.
  int granted = 1;
  while (granted < cqe + 1)
    granted *= 2;
  cq->capacity = std::min(granted - 1, config().max_cqe);
  cq->channel = channel == nullptr ? nullptr : state_of<CompChannel>(channel);
  auto& c = cq->shell.c;
  c.context = handle;
  c.channel = channel;
  c.cq_context = cq_context;
  c.cqe = cq->capacity;
  auto* raw = cq.get();
  context->cqs[raw] = std::move(cq);
  return &raw->shell.c;
}

int ibv_destroy_cq(ibv_cq* handle) {
  auto* cq = state_of<Cq>(handle);
  auto* context = cq->context;
  std::lock_guard lock(context->mutex);
  if (cq->users > 0) return fail(EBUSY);
  context->cqs.erase(cq);
  return 0;
}

ibv_qp* ibv_create_qp(ibv_pd* handle, ibv_qp_init_attr* init) {
  auto* pd = state_of<Pd>(handle);
  auto* context = pd->context;
  const auto& c = config();
  if (init->qp_type != IBV_QPT_RC || init->srq != nullptr) return fail_null<ibv_qp>(EOPNOTSUPP);
  if (init->send_cq == nullptr || init->recv_cq == nullptr) return fail_null<ibv_qp>(EINVAL);
  const auto& cap = init->cap;
  // mlx5 refuses what it cannot grant (it does not grant less).
  if (cap.max_send_wr > static_cast<std::uint32_t>(c.max_qp_wr) ||
      cap.max_recv_wr > static_cast<std::uint32_t>(c.max_qp_wr) ||
      cap.max_send_sge > static_cast<std::uint32_t>(c.max_sge) ||
      cap.max_recv_sge > static_cast<std::uint32_t>(c.max_sge) ||
      cap.max_inline_data > static_cast<std::uint32_t>(c.max_inline)) {
    return fail_null<ibv_qp>(EINVAL);
  }
  const auto qpn = next_qpn();
  if (qpn == 0) return fail_null<ibv_qp>(EIO);
  std::lock_guard lock(context->mutex);
  auto qp = std::make_unique<Qp>();
  qp->context = context;
  qp->pd = pd;
  qp->send_cq = state_of<Cq>(init->send_cq);
  qp->recv_cq = state_of<Cq>(init->recv_cq);
  qp->cap = cap;
  qp->cap.max_inline_data = static_cast<std::uint32_t>(c.max_inline);  // granted: the maximum
  init->cap.max_inline_data = qp->cap.max_inline_data;
  qp->sig_all = init->sq_sig_all != 0;
  qp->attr.qp_state = IBV_QPS_RESET;
  qp->shell.self = qp.get();
  auto& q = qp->shell.c;
  q.context = handle->context;
  q.qp_context = init->qp_context;
  q.pd = handle;
  q.send_cq = init->send_cq;
  q.recv_cq = init->recv_cq;
  q.qp_num = qpn;
  q.handle = qpn;
  q.state = IBV_QPS_RESET;
  q.qp_type = IBV_QPT_RC;
  if (!open_qp_socket(*qp)) return fail_null<ibv_qp>(EIO);
  ++pd->children;
  ++qp->send_cq->users;
  ++qp->recv_cq->users;
  auto* raw = qp.get();
  context->qps[qpn] = std::move(qp);
  return &raw->shell.c;
}

int ibv_modify_qp(ibv_qp* handle, ibv_qp_attr* attr, int mask) {
  auto* qp = state_of<Qp>(handle);
  std::lock_guard lock(qp->context->mutex);
  return fail(modify_qp(*qp, *attr, mask));
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
    for (auto* mr : wr.mrs)
      if (mr != nullptr) --mr->busy;
  for (auto& wr : qp->recv_queue)
    for (auto* mr : wr.mrs)
      if (mr != nullptr) --mr->busy;
  // Its completions not yet polled go with it.
  for (auto* cq : {qp->send_cq, qp->recv_cq}) {
    for (const bool receive : {false, true}) {
      const auto found = cq->queues.find({handle->qp_num, receive});
      if (found == cq->queues.end()) continue;
      cq->count -= found->second.size();
      cq->visible.store(cq->count, std::memory_order_release);
      cq->queues.erase(found);
    }
  }
  --qp->send_cq->users;
  --qp->recv_cq->users;
  --qp->pd->children;
  context->qps.erase(handle->qp_num);
  return 0;
}

}  // extern "C"

extern "C" ibv_qp_ex* ibv_qp_to_qp_ex(ibv_qp*) {
  return nullptr;  // no extended send API on this device
}
