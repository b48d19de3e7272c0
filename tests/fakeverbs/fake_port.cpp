// Ports, GIDs, pkeys and the device query of the software RDMA device, and its asynchronous
// events: the context's async_fd is a pipe with one byte per pending event, so
// ibv_get_async_event blocks unless the application set O_NONBLOCK on it (then -1, EAGAIN).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tests/fakeverbs/fake_state.hpp"

#undef ibv_query_port

using namespace fakeverbs;  // NOLINT(google-build-using-namespace): the C ABI wraps it

namespace {

void fill_port(const Context& context, std::uint8_t port, ibv_port_attr& attr) {
  const auto& c = config();
  const auto d = device_config(context.device);
  attr = ibv_port_attr{};
  attr.state = context.port_down ? IBV_PORT_DOWN : IBV_PORT_ACTIVE;
  attr.max_mtu = IBV_MTU_4096;
  attr.active_mtu = d.active_mtu;
  attr.gid_tbl_len = kGidTableLength;
  attr.port_cap_flags = IBV_PORT_CM_SUP;
  attr.max_msg_sz = c.max_msg_sz;
  attr.pkey_tbl_len = static_cast<std::uint16_t>(d.pkeys);
  const bool lids = !d.ethernet && d.transport == Transport::ib;
  attr.lid = lids ? port_lid(context.device, port) : 0;
  attr.sm_lid = lids ? 1 : 0;
  attr.max_vl_num = 4;
  attr.active_width = c.width;
  attr.active_speed = static_cast<std::uint8_t>(c.speed & 0xffU);  // XDR (256): 0, as the kernel
  attr.phys_state = context.port_down ? 3 : 5;                     // Disabled : LinkUp
  attr.link_layer = d.ethernet                              ? IBV_LINK_LAYER_ETHERNET
                    : d.transport == Transport::unspecified ? IBV_LINK_LAYER_UNSPECIFIED
                                                            : IBV_LINK_LAYER_INFINIBAND;
}

bool valid_port(std::uint32_t port) {
  return port >= 1 && port <= static_cast<std::uint32_t>(config().ports);
}

}  // namespace

namespace fakeverbs {

int query_port(ibv_context* handle, std::uint8_t port, ibv_port_attr* attr, std::size_t size) {
  if (!valid_port(port)) return EINVAL;
  auto* context = context_of(handle);
  ibv_port_attr full{};
  {
    std::lock_guard lock(context->mutex);
    fill_port(*context, port, full);
  }
  std::memcpy(attr, &full, std::min(size, sizeof(full)));
  // rdma-core >= 50: uint32_t active_speed_ex follows the legacy structure.
  if (size >= sizeof(ibv_port_attr) + sizeof(std::uint32_t)) {
    const std::uint32_t speed = config().speed;
    std::memcpy(reinterpret_cast<char*>(attr) + sizeof(ibv_port_attr), &speed, sizeof(speed));
  }
  return 0;
}

int query_device_ex(ibv_context*, const ibv_query_device_ex_input*, ibv_device_attr_ex*,
                    std::size_t) {
  return EOPNOTSUPP;  // the caller falls back to ibv_query_device
}

void raise_async(Context& context, const ibv_async_event& event) {
  context.async_events.push_back(event);
  const char byte = 1;
  (void)::write(context.async_write_fd, &byte, 1);
  int port = 0;
  switch (event.event_type) {
    case IBV_EVENT_PORT_ACTIVE:
    case IBV_EVENT_PORT_ERR:
    case IBV_EVENT_LID_CHANGE:
    case IBV_EVENT_PKEY_CHANGE:
    case IBV_EVENT_SM_CHANGE:
    case IBV_EVENT_CLIENT_REREGISTER:
    case IBV_EVENT_GID_CHANGE:
      port = event.element.port_num;
      break;
    default:
      break;
  }
  trace(std::string("async event=") + event_name(event.event_type) +
        " port=" + std::to_string(port));
}

void count_send_for_port_down(Context& context) {
  const long after = config().port_down_after;
  if (after <= 0 || context.port_down || context.counters.send_wrs < after) return;
  context.port_down = true;
  for (int port = 1; port <= config().ports; ++port) {
    ibv_async_event event{};
    event.event_type = IBV_EVENT_PORT_ERR;
    event.element.port_num = port;
    raise_async(context, event);
  }
}

}  // namespace fakeverbs

extern "C" {

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
  attr->max_srq = c.max_srq;
  attr->max_srq_wr = c.max_srq_wr;
  attr->max_srq_sge = c.max_sge;
  attr->max_pkeys = static_cast<std::uint16_t>(device_config(context_of(handle)->device).pkeys);
  attr->phys_port_cnt = static_cast<std::uint8_t>(c.ports);
  return 0;
}

int ibv_query_port(ibv_context* handle, std::uint8_t port, _compat_ibv_port_attr* attr) {
  // The old entry point fills the structure as it was before `flags` was added.
  return query_port(handle, port, reinterpret_cast<ibv_port_attr*>(attr),
                    offsetof(ibv_port_attr, flags));
}

int ibv_query_gid(ibv_context* handle, std::uint8_t port, int index, ibv_gid* gid) {
  if (!valid_port(port) || index < 0 || index >= kGidTableLength) return fail(EINVAL);
  *gid = gid_entry(context_of(handle)->device, port, index).gid;
  return 0;
}

int _ibv_query_gid_ex(ibv_context* handle, std::uint32_t port, std::uint32_t index,
                      ibv_gid_entry* entry, std::uint32_t flags, std::size_t entry_size) {
  if (flags != 0 || entry_size < sizeof(ibv_gid_entry)) return EINVAL;
  if (!valid_port(port) || index >= static_cast<std::uint32_t>(kGidTableLength)) return EINVAL;
  const int device = context_of(handle)->device;
  const auto found = gid_entry(device, static_cast<int>(port), static_cast<int>(index));
  if (found.empty) return ENODATA;  // as the kernel answers for an unused entry
  *entry = ibv_gid_entry{};
  entry->gid = found.gid;
  entry->gid_index = index;
  entry->port_num = port;
  entry->gid_type = found.type;
  entry->ndev_ifindex = device_config(device).ethernet ? 2 : 0;
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

int ibv_query_pkey(ibv_context* handle, std::uint8_t port, int index, __be16* pkey) {
  const int device = context_of(handle)->device;
  if (!valid_port(port) || index < 0 || index >= device_config(device).pkeys) return fail(EINVAL);
  *pkey = htobe16(pkey_at(device, index));
  return 0;
}

int ibv_get_async_event(ibv_context* handle, ibv_async_event* event) {
  char byte = 0;
  // Blocks, or -1 with EAGAIN when the application made async_fd non-blocking.
  if (::read(handle->async_fd, &byte, 1) != 1) return -1;
  auto* context = context_of(handle);
  std::lock_guard lock(context->mutex);
  if (context->async_events.empty()) {
    errno = EAGAIN;
    return -1;
  }
  *event = context->async_events.front();
  context->async_events.pop_front();
  return 0;
}

void ibv_ack_async_event(ibv_async_event*) {}

}  // extern "C"
