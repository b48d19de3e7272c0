// The exported libibverbs entry points of the software RDMA device (LD_PRELOAD it): devices,
// contexts, PDs, memory regions (dma-buf ones too) and CQs. The inline verbs (ibv_post_send,
// ibv_post_recv, ibv_post_srq_recv, ibv_poll_cq, ibv_req_notify_cq) reach this library
// through the ops of the context it returns (fake_ops.cpp); ibv_query_port through
// verbs_context. Queue pairs: fake_qp_verbs.cpp; SRQs: fake_srq.cpp; ports and async events:
// fake_port.cpp.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

// The devices made so far: the list grows to the configured count and never shrinks, so a
// device handle stays valid for the life of the process.
std::vector<std::unique_ptr<Device>>& devices() {
  static std::vector<std::unique_ptr<Device>> list;
  static std::mutex guard;
  std::lock_guard lock(guard);
  for (int i = static_cast<int>(list.size()); i < config().devices; ++i) {
    auto device = std::make_unique<Device>();
    device->index = i;
    device->shell.self = device.get();
    auto& d = device->shell.c;
    std::snprintf(d.name, sizeof(d.name), "fv_%d", i);
    std::snprintf(d.dev_name, sizeof(d.dev_name), "uverbs%d", i);
    std::snprintf(d.dev_path, sizeof(d.dev_path), "/sys/class/infiniband_verbs/uverbs%d", i);
    std::snprintf(d.ibdev_path, sizeof(d.ibdev_path), "/sys/class/infiniband/fv_%d", i);
    list.push_back(std::move(device));
  }
  return list;
}

std::atomic<std::uint64_t> g_pinned_bytes{0};
std::atomic<std::uint32_t> g_next_key{0x1000};
std::atomic<bool> g_fork_init{false};
std::atomic<bool> g_registered{false};
std::atomic<int> g_live_contexts{0};
std::atomic<int> g_live_pds{0};
std::atomic<int> g_live_mrs{0};
std::atomic<int> g_live_dmabuf_mrs{0};  // of which registered through a dma-buf

int live_objects(const char* kind) {
  const std::string what = kind == nullptr ? "" : kind;
  if (what == "context") return g_live_contexts;
  if (what == "pd") return g_live_pds;
  if (what == "mr") return g_live_mrs;
  if (what == "dmabuf_mr") return g_live_dmabuf_mrs;
  return -1;
}

std::uint32_t next_key() {
  // Spread the keys so that a corrupted one never names another region by chance.
  return g_next_key.fetch_add(0x101) * 2654435761U;
}

template <typename T>
T* fail_null(int error) {
  errno = error;
  return nullptr;
}

std::uint64_t page_span(const void* address, std::size_t length) {
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(address) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(address) + length + page - 1) / page * page;
  return end - begin;
}

// What the kernel refuses a registration with (0: nothing). As rdma-core, the optional
// access bits (IBV_ACCESS_OPTIONAL_RANGE, relaxed ordering among them) are dropped, never
// refused; any other unknown bit is EINVAL, on-demand paging EOPNOTSUPP (no ODP here).
int registration_refusal(const void* address, std::size_t length, unsigned int access) {
  access &= ~static_cast<unsigned int>(IBV_ACCESS_OPTIONAL_RANGE);
  constexpr unsigned int kKnown = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
                                  IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC |
                                  IBV_ACCESS_MW_BIND | IBV_ACCESS_ZERO_BASED |
                                  IBV_ACCESS_ON_DEMAND | IBV_ACCESS_HUGETLB;
  if ((access & ~kKnown) != 0) return EINVAL;
  if ((access & IBV_ACCESS_ON_DEMAND) != 0) return EOPNOTSUPP;
  const bool remote_write = (access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC)) != 0;
  if (remote_write && (access & IBV_ACCESS_LOCAL_WRITE) == 0) return EINVAL;
  if (address == nullptr && length > 0) return EFAULT;
  if (config().memlock_enforced) {
    rlimit limit{};
    ::getrlimit(RLIMIT_MEMLOCK, &limit);
    if (limit.rlim_cur != RLIM_INFINITY &&
        g_pinned_bytes + page_span(address, length) > limit.rlim_cur) {
      return ENOMEM;
    }
  }
  return 0;
}

}  // namespace

extern "C" {

ibv_device** ibv_get_device_list(int* num_devices) {
  const auto& c = config();
  const auto& list = devices();
  const std::size_t count = c.enabled ? static_cast<std::size_t>(std::max(c.devices, 0)) : 0;
  auto** out = static_cast<ibv_device**>(std::calloc(count + 1, sizeof(ibv_device*)));
  if (out == nullptr) return fail_null<ibv_device*>(ENOMEM);
  for (std::size_t i = 0; i < count; ++i) {
    auto& d = list[i]->shell.c;
    switch (device_config(static_cast<int>(i)).transport) {
      case Transport::ib:
        d.node_type = IBV_NODE_CA;
        d.transport_type = IBV_TRANSPORT_IB;
        break;
      case Transport::iwarp:
        d.node_type = IBV_NODE_RNIC;
        d.transport_type = IBV_TRANSPORT_IWARP;
        break;
      case Transport::unspecified:
        d.node_type = IBV_NODE_UNSPECIFIED;
        d.transport_type = IBV_TRANSPORT_UNSPECIFIED;
        break;
    }
    out[i] = &d;
  }
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

// rdma-core refuses ibv_fork_init once memory was registered without it (EINVAL: too late
// to protect the pages already pinned).
int ibv_fork_init(void) {
  const int rc = g_registered && !g_fork_init ? EINVAL : 0;
  if (rc == 0) g_fork_init = true;
  trace("fork_init rc=" + std::to_string(rc));
  return rc;
}

ibv_fork_status ibv_is_fork_initialized(void) {
  if (!config().fork_needed) return IBV_FORK_UNNEEDED;
  return g_fork_init ? IBV_FORK_ENABLED : IBV_FORK_DISABLED;
}

// Objects this process holds on every device, for tests of their owners' lifetimes.
int fakeverbs_live_objects(const char* kind) {
  return live_objects(kind);
}

ibv_context* ibv_open_device(ibv_device* handle) {
  auto* device = state_of<Device>(handle);
  auto context = std::make_unique<Context>();
  context->device = device->index;
  context->shell.self = context.get();
  context->random.seed(config().seed * 1000003U + static_cast<std::uint64_t>(::getpid()));
  auto& v = context->shell.c;
  v.sz = sizeof(verbs_context);
  v.query_port = query_port;
  v.query_device_ex = query_device_ex;
  auto& c = v.context;
  c.device = handle;
  c.abi_compat = __VERBS_ABI_IS_EXTENDED;
  c.ops.poll_cq = op_poll_cq;
  c.ops.req_notify_cq = op_req_notify_cq;
  c.ops.post_send = op_post_send;
  c.ops.post_recv = op_post_recv;
  c.ops.post_srq_recv = post_srq_recv;
  c.num_comp_vectors = 1;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_null<ibv_context>(errno);
  c.async_fd = fds[0];
  context->async_write_fd = fds[1];
  c.cmd_fd = -1;
  start_wire(*context);
  ++g_live_contexts;
  return &context.release()->shell.c.context;
}

int ibv_close_device(ibv_context* handle) {
  auto* open = context_of(handle);
  {
    std::lock_guard lock(open->mutex);
    if (!open->pds.empty() || !open->cqs.empty() || !open->qps.empty() || !open->srqs.empty() ||
        !open->channels.empty()) {
      trace_refused("ibv_close_device", EBUSY);
      return fail(EBUSY);
    }
  }
  std::unique_ptr<Context> context(open);
  if (tracing()) {
    const auto& n = context->counters;
    trace(std::string("close_device device=") + handle->device->name +
          " send_wrs=" + std::to_string(n.send_wrs) + " signalled=" + std::to_string(n.signalled) +
          " inline=" + std::to_string(n.inlined) + " sends=" + std::to_string(n.sends) +
          " rdma_writes=" + std::to_string(n.rdma_writes) +
          " rdma_writes_with_imm=" + std::to_string(n.rdma_writes_with_imm) +
          " zero_length_writes=" + std::to_string(n.zero_length_writes));
  }
  stop_wire(*context);
  for (auto& [qpn, qp] : context->qps)
    close_qp_socket(*qp);
  ::close(handle->async_fd);
  ::close(context->async_write_fd);
  --g_live_contexts;
  return 0;
}

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
  ++g_live_pds;
  return &raw->shell.c;
}

int ibv_dealloc_pd(ibv_pd* handle) {
  auto* pd = state_of<Pd>(handle);
  auto* context = pd->context;
  std::lock_guard lock(context->mutex);
  if (pd->children > 0) {
    trace_refused("ibv_dealloc_pd", EBUSY);
    return fail(EBUSY);
  }
  context->pds.erase(pd);
  --g_live_pds;
  return 0;
}

ibv_mr* ibv_reg_mr_iova2(ibv_pd* handle, void* address, std::size_t length, std::uint64_t iova,
                         unsigned int access) {
  auto* pd = state_of<Pd>(handle);
  auto* context = pd->context;
  const int error = registration_refusal(address, length, access);
  if (tracing()) {
    trace(std::string("reg_mr device=") + handle->context->device->name +
          " length=" + std::to_string(length) + " access=" + hex(access) +
          " fork_initialized=" + (g_fork_init ? "1" : "0") + " rc=" + std::to_string(error));
  }
  if (error != 0) return fail_null<ibv_mr>(error);
  g_registered = true;
  const auto pinned = page_span(address, length);
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
  ++g_live_mrs;
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

// A dma-buf stands for device memory the NIC reaches through the fd (GPUDirect RDMA); a memfd
// holding the caller's pages stands in for a GPU's. The fd's range is mapped and the wire
// moves the region's bytes through that mapping, so a wrong fd or offset shows as wrong data,
// while work requests name the region by `iova`, as with real dma-buf registrations.
ibv_mr* ibv_reg_dmabuf_mr(ibv_pd* handle, std::uint64_t offset, std::size_t length,
                          std::uint64_t iova, int fd, int access) {
  struct stat st {};
  const bool fits = fd >= 0 && ::fstat(fd, &st) == 0 && st.st_size >= 0 &&
                    offset + length <= static_cast<std::uint64_t>(st.st_size);
  if (tracing()) {
    trace(std::string("reg_dmabuf_mr device=") + handle->context->device->name +
          " offset=" + std::to_string(offset) + " length=" + std::to_string(length) +
          " rc=" + std::to_string(fits ? 0 : EINVAL));
  }
  if (!fits || length == 0) return fail_null<ibv_mr>(EINVAL);
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t start = offset / page * page;
  const std::size_t map_length = length + (offset - start);
  void* map = ::mmap(nullptr, map_length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                     static_cast<off_t>(start));
  if (map == MAP_FAILED) return fail_null<ibv_mr>(errno);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the region is named by its iova
  ibv_mr* mr = ibv_reg_mr_iova2(handle, reinterpret_cast<void*>(iova), length, iova,
                                static_cast<unsigned>(access));
  if (mr == nullptr) {
    const int error = errno;
    ::munmap(map, map_length);
    return fail_null<ibv_mr>(error);
  }
  auto* state = state_of<Mr>(mr);
  state->alias_map = map;
  state->alias_map_length = map_length;
  state->alias = static_cast<std::byte*>(map) + (offset - start);
  ++g_live_dmabuf_mrs;
  return mr;
}

int ibv_dereg_mr(ibv_mr* handle) {
  auto* mr = state_of<Mr>(handle);
  auto* context = mr->pd->context;
  std::lock_guard lock(context->mutex);
  if (mr->busy > 0) {
    trace_refused("ibv_dereg_mr", EBUSY);
    return fail(EBUSY);
  }
  if (mr->alias_map != nullptr) {
    ::munmap(mr->alias_map, mr->alias_map_length);
    --g_live_dmabuf_mrs;
  }
  g_pinned_bytes -= mr->pinned_bytes;
  --mr->pd->children;
  context->mrs.erase(handle->lkey);
  --g_live_mrs;
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
  if (cq->users > 0) {
    trace_refused("ibv_destroy_cq", EBUSY);
    return fail(EBUSY);
  }
  context->cqs.erase(cq);
  return 0;
}

}  // extern "C"

extern "C" ibv_qp_ex* ibv_qp_to_qp_ex(ibv_qp*) {
  return nullptr;  // no extended send API on this device
}
