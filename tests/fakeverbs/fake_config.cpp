// The software RDMA device's configuration, read once from the environment:
//
//   FB_FAKEVERBS_DIR        directory of the queue pairs' Unix sockets; unset: no device
//   FB_FAKEVERBS_LINK       ib (default) or roce (RoCE v2 capable Ethernet ports)
//   FB_FAKEVERBS_DEVICES    devices fv_0, fv_1, ... (default 1)
//   FB_FAKEVERBS_PORTS      ports per device (default 1)
//   FB_FAKEVERBS_MTU        active MTU in bytes (default 4096 on InfiniBand, 1024 on RoCE)
//   FB_FAKEVERBS_SPEED, FB_FAKEVERBS_WIDTH  ibv_port_attr active_speed / active_width codes
//   FB_FAKEVERBS_MAX_QP_WR, _MAX_SGE, _MAX_INLINE, _MAX_CQE, _MAX_MSG_SZ  device limits
//   FB_FAKEVERBS_SEED       seed of the completion order across queue pairs (default 1)
//   FB_FAKEVERBS_HOST       host number in the IPv4-mapped RoCE GIDs (default 1)
//   FB_FAKEVERBS_CORRUPT_RKEY=N  the Nth RDMA write with a payload this process posts
//                           carries a wrong rkey (fault injection)
//   FB_FAKEVERBS_STARVE_RECV=N  receives this process posts after its first N are
//                           accepted but never used: senders meet receiver-not-ready
//                           (fault injection: a receive that is never there)
//   FB_FAKEVERBS_MEMLOCK    enforce (default) or ignore RLIMIT_MEMLOCK at registration
#include <cstdlib>
#include <cstring>
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
  const char* link = env("FB_FAKEVERBS_LINK");
  c.roce = link != nullptr && std::strcmp(link, "roce") == 0;
  c.devices = static_cast<int>(env_long("FB_FAKEVERBS_DEVICES", 1));
  c.ports = static_cast<int>(env_long("FB_FAKEVERBS_PORTS", 1));
  c.active_mtu = mtu_code(env_long("FB_FAKEVERBS_MTU", c.roce ? 1024 : 4096));
  c.speed = static_cast<std::uint8_t>(env_long("FB_FAKEVERBS_SPEED", 64));
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

int mtu_bytes(ibv_mtu mtu) {
  return 128 << static_cast<int>(mtu);
}

std::uint16_t port_lid(int device, int port) {
  return static_cast<std::uint16_t>(1 + device * 16 + port);
}

GidEntry gid_entry(int device, int port, int index) {
  GidEntry entry;
  const auto& c = config();
  auto& raw = entry.gid.raw;
  if (!c.roce) {
    if (index != 0) return entry;
    raw[0] = 0xfe;
    raw[1] = 0x80;
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
