#include "transports/verbs/verbs_resources.hpp"

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "transports/verbs/verbs_options.hpp"

namespace fb {

namespace {

std::string error_text(int error) {
  return std::system_category().message(error);  // thread-safe, unlike strerror
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names)
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Ports count from 1; a device reports how many it has in ibv_device_attr.phys_port_cnt.
std::optional<VerbsPort> first_active_port(VerbsContext context, const std::string& name,
                                           int wanted_port, std::string& why_not) {
  ibv_device_attr device_attr{};
  if (const int rc = ibv_query_device(context.get(), &device_attr); rc != 0) {
    why_not = "cannot query " + name + ": " + error_text(rc > 0 ? rc : errno);
    return std::nullopt;
  }
  const int first = wanted_port == 0 ? 1 : wanted_port;
  const int last = wanted_port == 0 ? device_attr.phys_port_cnt : wanted_port;
  if (wanted_port > device_attr.phys_port_cnt) {
    why_not = name + " has no port " + std::to_string(wanted_port) + " (it has " +
              std::to_string(device_attr.phys_port_cnt) + ")";
    return std::nullopt;
  }
  for (int port = first; port <= last; ++port) {
    ibv_port_attr attr{};
    if (ibv_query_port(context.get(), static_cast<std::uint8_t>(port), &attr) != 0) continue;
    if (attr.state == IBV_PORT_ACTIVE) {
      return VerbsPort{std::move(context), name, port, attr};
    }
    if (wanted_port != 0) {
      why_not = "port " + std::to_string(port) + " of " + name + " is not active (state " +
                ibv_port_state_str(attr.state) + ")";
      return std::nullopt;
    }
  }
  why_not = "no active port on " + name;
  return std::nullopt;
}

}  // namespace

void throw_verbs_error(int peer, const std::string& operation, int error) {
  throw TransportError("verbs", peer, operation, error_text(error));
}

namespace {

// The port to use, or nullopt with `why_not` saying why there is none.
std::optional<VerbsPort> find_verbs_port(const std::string& device, int port,
                                         std::string& why_not) {
  int count = 0;
  errno = 0;
  const VerbsDeviceList list(ibv_get_device_list(&count));
  if (!list) {
    why_not = "no RDMA device found (ibv_get_device_list failed: " + error_text(errno) + ")";
    return std::nullopt;
  }
  if (count == 0) {
    why_not = "no RDMA device found (ibv_get_device_list returned 0 devices)";
    return std::nullopt;
  }
  std::vector<std::string> names;
  std::vector<std::string> reasons;
  for (int i = 0; i < count; ++i) {
    ibv_device* candidate = list.get()[i];
    std::string name = ibv_get_device_name(candidate);
    names.push_back(name);
    if (!device.empty() && name != device) continue;
    VerbsContext context(ibv_open_device(candidate));
    if (!context) {
      reasons.push_back("cannot open " + name + ": " + error_text(errno));
      continue;
    }
    std::string reason;
    if (auto opened = first_active_port(std::move(context), name, port, reason)) return opened;
    reasons.push_back(reason);
  }
  why_not = reasons.empty()  // a device was named and is not in the list
                ? "no RDMA device named '" + device + "' (found: " + join(names) + ")"
                : join(reasons);
  return std::nullopt;
}

}  // namespace

VerbsPort open_verbs_port(const std::string& device, int port) {
  std::string why_not;
  auto opened = find_verbs_port(device, port, why_not);
  if (!opened) throw TransportError("verbs", -1, "open device", why_not);
  return std::move(*opened);
}

std::optional<std::string> verbs_unavailable_reason() {
  VerbsOptions options;
  try {
    options = verbs_options_from_environment();
  } catch (const std::invalid_argument& e) {
    return std::string("FB_VERBS_OPTIONS: ") + e.what();
  }
  std::string why_not;
  if (find_verbs_port(options.device, options.port, why_not)) return std::nullopt;
  return why_not;
}

ibv_mtu verbs_mtu_from_bytes(int bytes) {
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

int verbs_mtu_bytes(ibv_mtu mtu) {
  return 128 << static_cast<int>(mtu);  // IBV_MTU_256 == 1, each step doubles
}

}  // namespace fb
