// The software RDMA device's configuration, read once from the environment:
//
// Variables named "list" take a comma list, one entry per device (fv_0 first); the last
// entry repeats for further devices.
//
//   FB_FAKEVERBS_DIR        directory of the queue pairs' Unix sockets; unset: no device
//   FB_FAKEVERBS_LINK       list of ib (default) or roce (RoCE v2 capable Ethernet ports)
//   FB_FAKEVERBS_TRANSPORT  list of ib (default: node type CA, transport IB), iwarp (node
//                           type RNIC, transport IWARP, Ethernet link layer whatever
//                           FB_FAKEVERBS_LINK says, RDMA WRITE WITH IMMEDIATE refused with
//                           EINVAL at post) or unspecified (EFA-like: node type and transport
//                           UNSPECIFIED, link layer UNSPECIFIED, RC queue pairs refused with
//                           EOPNOTSUPP)
//   FB_FAKEVERBS_SUBNET     list of InfiniBand subnet prefixes, hex (default
//                           0xfe80000000000000): the upper half of GID index 0. Packets
//                           between ports of different subnets without a GRH are dropped, as
//                           are packets between an InfiniBand and an Ethernet port.
//   FB_FAKEVERBS_DEVICES    devices fv_0, fv_1, ... (default 1)
//   FB_FAKEVERBS_PORTS      ports per device (default 1)
//   FB_FAKEVERBS_MTU        active MTU in bytes (default 4096 on InfiniBand, 1024 on Ethernet)
//   FB_FAKEVERBS_SPEED, FB_FAKEVERBS_WIDTH  active speed / width codes (speed 256: XDR). The
//                           legacy ibv_port_attr.active_speed holds the code's low 8 bits
//                           (0 for XDR); a caller passing a larger struct (rdma-core >= 50)
//                           also gets the full code in active_speed_ex after it.
//   FB_FAKEVERBS_MAX_QP_WR, _MAX_SGE, _MAX_INLINE, _MAX_CQE, _MAX_MSG_SZ  device limits
//   FB_FAKEVERBS_MAX_SRQ_WR max_srq_wr (default 32768; max_srq is 8388608 and max_srq_sge
//                           the device's max_sge, as mlx5 reports them)
//   FB_FAKEVERBS_PKEYS      pkey table length (default as mlx5: 128 on InfiniBand, 1 on
//                           Ethernet); a transition to INIT with pkey_index beyond it: EINVAL
//   FB_FAKEVERBS_PKEY_TABLE comma list of the pkeys at index 0, 1, ... (hex; default 0xffff);
//                           further entries are 0 (empty). Requests whose pkey does not
//                           match the responder's (low 15 bits, one of them full member)
//                           are dropped.
//   FB_FAKEVERBS_TRACE      a file the device appends one line per event to (O_APPEND, one
//                           write(2) per line, so processes can share it); fake_trace.cpp
//                           lists the lines. Unset: nothing is written.
//   FB_FAKEVERBS_SEED       seed of the completion order across queue pairs (default 1)
//   FB_FAKEVERBS_HOST       host number in the IPv4-mapped RoCE GIDs (default 1)
//   FB_FAKEVERBS_CORRUPT_RKEY=N  the Nth RDMA write with a payload this process posts
//                           carries a wrong rkey (fault injection)
//   FB_FAKEVERBS_STARVE_RECV=N  receives this process posts after its first N are
//                           accepted but never used: senders meet receiver-not-ready
//                           (fault injection: a receive that is never there)
//   FB_FAKEVERBS_MEMLOCK    enforce (default) or ignore RLIMIT_MEMLOCK at registration
//   FB_FAKEVERBS_FORK       unneeded (default: ibv_is_fork_initialized says so, as kernels
//                           from 5.13 do) or needed (DISABLED until ibv_fork_init, ENABLED
//                           after; ibv_fork_init after a registration fails EINVAL, as
//                           rdma-core's does: too late for the pages already pinned)
//   FB_FAKEVERBS_PORT_DOWN_AFTER=N  when a context has posted its Nth send work request
//                           (counting from 1; it and all later ones are affected), every
//                           port of that context goes down: ibv_query_port says DOWN
//                           (phys_state 3, Disabled), one IBV_EVENT_PORT_ERR per port, and
//                           every packet to or from the context is lost from then on
//                           (RETRY_EXC_ERR at both ends, as a dead link)
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "tests/fakeverbs/fake_state.hpp"

namespace fakeverbs {

namespace {

const char* env(const char* name) {
  return std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read once, at first use
}

long env_long(const char* name, long fallback) {
  const char* value = env(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::strtol(value, nullptr, 0);
}

std::vector<std::string> env_list(const char* name, const char* fallback) {
  const char* value = env(name);
  std::stringstream in(value == nullptr || *value == '\0' ? fallback : value);
  std::vector<std::string> out;
  for (std::string item; std::getline(in, item, ',');)
    out.push_back(item);
  if (out.empty()) out.emplace_back(fallback);
  return out;
}

template <typename T>
const T& nth(const std::vector<T>& list, int index) {
  return list[std::min<std::size_t>(static_cast<std::size_t>(index), list.size() - 1)];
}

ibv_mtu mtu_code(long bytes) {
  switch (bytes) {
    case 256:
      return IBV_MTU_256;
    case 512:
      return IBV_MTU_512;
    case 1024:
      return IBV_MTU_1024;
    case 2048:
      return IBV_MTU_2048;
    default:
      return IBV_MTU_4096;
  }
}

Config read_config() {
  Config c;
  if (const char* dir = env("FB_FAKEVERBS_DIR"); dir != nullptr && *dir != '\0') {
    c.enabled = true;
    c.dir = dir;
  }
  c.links = env_list("FB_FAKEVERBS_LINK", "ib");
  c.transports = env_list("FB_FAKEVERBS_TRANSPORT", "ib");
  for (const auto& subnet : env_list("FB_FAKEVERBS_SUBNET", "0xfe80000000000000"))
    c.subnets.push_back(std::strtoull(subnet.c_str(), nullptr, 16));
  c.devices = static_cast<int>(env_long("FB_FAKEVERBS_DEVICES", 1));
  c.ports = static_cast<int>(env_long("FB_FAKEVERBS_PORTS", 1));
  c.mtu_bytes = env_long("FB_FAKEVERBS_MTU", -1);
  c.speed = static_cast<std::uint32_t>(env_long("FB_FAKEVERBS_SPEED", 64));
  c.width = static_cast<std::uint8_t>(env_long("FB_FAKEVERBS_WIDTH", 2));
  c.max_qp_wr = static_cast<int>(env_long("FB_FAKEVERBS_MAX_QP_WR", c.max_qp_wr));
  c.max_sge = static_cast<int>(env_long("FB_FAKEVERBS_MAX_SGE", c.max_sge));
  c.max_inline = static_cast<int>(env_long("FB_FAKEVERBS_MAX_INLINE", c.max_inline));
  c.max_cqe = static_cast<int>(env_long("FB_FAKEVERBS_MAX_CQE", c.max_cqe));
  c.max_msg_sz = static_cast<std::uint32_t>(env_long("FB_FAKEVERBS_MAX_MSG_SZ", c.max_msg_sz));
  c.seed = static_cast<std::uint64_t>(env_long("FB_FAKEVERBS_SEED", 1));
  c.host = static_cast<int>(env_long("FB_FAKEVERBS_HOST", 1));
  c.corrupt_rkey_at = env_long("FB_FAKEVERBS_CORRUPT_RKEY", -1);
  c.starve_receives_after = env_long("FB_FAKEVERBS_STARVE_RECV", -1);
  const char* memlock = env("FB_FAKEVERBS_MEMLOCK");
  c.memlock_enforced = memlock == nullptr || std::strcmp(memlock, "ignore") != 0;
  const char* fork = env("FB_FAKEVERBS_FORK");
  c.fork_needed = fork != nullptr && std::strcmp(fork, "needed") == 0;
  c.max_srq_wr = static_cast<int>(env_long("FB_FAKEVERBS_MAX_SRQ_WR", c.max_srq_wr));
  c.port_down_after = env_long("FB_FAKEVERBS_PORT_DOWN_AFTER", -1);
  if (const char* trace = env("FB_FAKEVERBS_TRACE"); trace != nullptr) c.trace = trace;
  c.pkeys = static_cast<int>(env_long("FB_FAKEVERBS_PKEYS", -1));
  for (const auto& pkey : env_list("FB_FAKEVERBS_PKEY_TABLE", "0xffff"))
    c.pkey_table.push_back(static_cast<std::uint16_t>(std::strtoul(pkey.c_str(), nullptr, 16)));
  return c;
}

}  // namespace

namespace {
Config& mutable_config() {
  static Config c = read_config();
  return c;
}
}  // namespace

const Config& config() {
  return mutable_config();
}

}  // namespace fakeverbs

// For the device's own tests: read the environment again (no object may be open).
extern "C" void fb_fakeverbs_reconfigure() {
  fakeverbs::mutable_config() = fakeverbs::read_config();
}

namespace fakeverbs {

DeviceConfig device_config(int device) {
  const auto& c = config();
  DeviceConfig d;
  const auto& transport = nth(c.transports, device);
  if (transport == "iwarp") d.transport = Transport::iwarp;
  if (transport == "unspecified") d.transport = Transport::unspecified;
  d.ethernet = d.transport == Transport::iwarp ||
               (d.transport == Transport::ib && nth(c.links, device) == "roce");
  d.subnet = nth(c.subnets, device);
  d.active_mtu = mtu_code(c.mtu_bytes > 0 ? c.mtu_bytes : (d.ethernet ? 1024 : 4096));
  d.pkeys = c.pkeys > 0 ? c.pkeys : (d.ethernet ? 1 : 128);
  return d;
}

std::uint16_t pkey_at(int device, int index) {
  const auto& table = config().pkey_table;
  if (index < 0 || index >= device_config(device).pkeys) return 0;
  return static_cast<std::size_t>(index) < table.size() ? table[static_cast<std::size_t>(index)]
                                                        : 0;
}

bool starve_next_receive() {
  static std::atomic<long> posted{0};
  const long starve = config().starve_receives_after;
  return starve >= 0 && ++posted > starve;
}

int mtu_bytes(ibv_mtu mtu) {
  return 128 << static_cast<int>(mtu);
}

std::uint16_t port_lid(int device, int port) {
  return static_cast<std::uint16_t>(1 + device * 16 + port);
}

GidEntry gid_entry(int device, int port, int index) {
  GidEntry entry;
  const auto& c = config();
  const auto d = device_config(device);
  auto& raw = entry.gid.raw;
  if (!d.ethernet) {
    if (index != 0) return entry;
    for (int i = 0; i < 8; ++i)  // the subnet prefix, big-endian
      raw[i] = static_cast<std::uint8_t>(d.subnet >> (56 - 8 * i));
    // Interface id: the port GUID.
    raw[8] = 0x0c;
    raw[9] = 0x42;
    raw[10] = 0xa1;
    raw[13] = static_cast<std::uint8_t>(c.host);
    raw[14] = static_cast<std::uint8_t>(device);
    raw[15] = static_cast<std::uint8_t>(port);
    entry.type = IBV_GID_TYPE_IB;
    entry.empty = false;
    return entry;
  }
  if (index < 0 || index > 3) return entry;
  if (index < 2) {
    // Link-local, interface id from the MAC address 0c:42:a1:<host>:<device>:<port>.
    raw[0] = 0xfe;
    raw[1] = 0x80;
    raw[8] = 0x0e;
    raw[9] = 0x42;
    raw[10] = 0xa1;
    raw[11] = 0xff;
    raw[12] = 0xfe;
    raw[13] = static_cast<std::uint8_t>(c.host);
    raw[14] = static_cast<std::uint8_t>(device);
    raw[15] = static_cast<std::uint8_t>(port);
  } else {
    // ::ffff:10.<device>.<port>.<host>
    raw[10] = 0xff;
    raw[11] = 0xff;
    raw[12] = 10;
    raw[13] = static_cast<std::uint8_t>(device);
    raw[14] = static_cast<std::uint8_t>(port);
    raw[15] = static_cast<std::uint8_t>(c.host);
  }
  entry.type = index % 2 == 0 ? IBV_GID_TYPE_ROCE_V1 : IBV_GID_TYPE_ROCE_V2;
  entry.empty = false;
  return entry;
}

}  // namespace fakeverbs
