#include "transports/verbs/verbs_resources.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstddef>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "transports/verbs/verbs_device_choice.hpp"
#include "transports/verbs/verbs_options.hpp"

namespace fb {

namespace {

std::string error_text(int error) {
  return std::system_category().message(error);  // thread-safe, unlike strerror
}

}  // namespace

void throw_verbs_error(int peer, const std::string& operation, int error) {
  throw TransportError("verbs", peer, operation, error_text(error));
}

ibv_mr* register_verbs_memory(ibv_pd* pd, void* data, std::size_t length, int access,
                              const std::string& what) {
  errno = 0;
  ibv_mr* mr = ibv_reg_mr(pd, data, length, access);
  if (mr != nullptr) return mr;
  const int error = errno;
  std::string detail = error_text(error);
  if (error == ENOMEM) {
    // Pinning counts against RLIMIT_MEMLOCK for users without CAP_IPC_LOCK: the usual cause.
    rlimit limit{};
    std::string current = "unknown";
    if (getrlimit(RLIMIT_MEMLOCK, &limit) == 0) {
      current = limit.rlim_cur == RLIM_INFINITY ? "unlimited"
                                                : std::to_string(limit.rlim_cur / 1024) + " KiB";
    }
    detail += " registering " + std::to_string(length) +
              " bytes: pinned memory is limited by RLIMIT_MEMLOCK (now " + current +
              "; raise it with `ulimit -l unlimited` or memlock in /etc/security/limits.conf)";
  }
  throw TransportError("verbs", -1, what + " (ibv_reg_mr)", detail);
}

namespace {

// What the host has: every device, its transport and its ports' state and link layer.
std::vector<VerbsDeviceInfo> describe_devices(ibv_device** list, int count) {
  std::vector<VerbsDeviceInfo> found;
  for (int i = 0; i < count; ++i) {
    ibv_device* candidate = list[i];
    VerbsDeviceInfo info;
    info.name = ibv_get_device_name(candidate);
    info.transport = candidate->transport_type;
    const VerbsContext context(ibv_open_device(candidate));
    ibv_device_attr device_attr{};
    if (!context) {
      info.error = "cannot open " + info.name + ": " + error_text(errno);
    } else if (const int rc = ibv_query_device(context.get(), &device_attr); rc != 0) {
      info.error = "cannot query " + info.name + ": " + error_text(rc > 0 ? rc : errno);
    } else {
      for (int port = 1; port <= device_attr.phys_port_cnt; ++port) {
        ibv_port_attr attr{};
        if (ibv_query_port(context.get(), static_cast<std::uint8_t>(port), &attr) != 0) continue;
        info.ports.push_back({port, attr.state, attr.link_layer});
      }
    }
    found.push_back(std::move(info));
  }
  return found;
}

// The port to use, or nullopt with `why_not` saying why there is none.
std::optional<VerbsPort> find_verbs_port(const VerbsOptions& options, int local_rank,
                                         std::string& why_not) {
  prepare_for_fork();
  int count = 0;
  errno = 0;
  const VerbsDeviceList list(ibv_get_device_list(&count));
  if (!list) {
    why_not = "no RDMA device found (ibv_get_device_list failed: " + error_text(errno) + ")";
    return std::nullopt;
  }
  const auto choice =
      choose_verbs_port(describe_devices(list.get(), count), options, local_rank, why_not);
  if (!choice) return std::nullopt;
  for (int i = 0; i < count; ++i) {
    if (choice->name != ibv_get_device_name(list.get()[i])) continue;
    VerbsContext context(ibv_open_device(list.get()[i]));
    if (!context) {
      why_not = "cannot open " + choice->name + ": " + error_text(errno);
      return std::nullopt;
    }
    VerbsPort port{std::move(context), choice->name, choice->port, {}, 0};
    if (const int rc =
            ibv_query_port(port.context.get(), static_cast<std::uint8_t>(choice->port), &port.attr);
        rc != 0) {
      why_not = "cannot query port " + std::to_string(choice->port) + " of " + choice->name + ": " +
                error_text(rc > 0 ? rc : errno);
      return std::nullopt;
    }
    port.speed = query_port_speed(port.context.get(), choice->port, port.attr);
    return port;
  }
  why_not = choice->name + " disappeared while it was being chosen";
  return std::nullopt;
}

}  // namespace

std::uint32_t query_port_speed(ibv_context* context, int port, const ibv_port_attr& legacy) {
  // rdma-core 50 appends `uint32_t active_speed_ex` (XDR and later; active_speed then reads
  // 0) to ibv_port_attr, right after the fields these headers know. Ask the library for the
  // longer struct: an older one fills only what it knows, leaving the extension zero.
  struct PortAttrEx {
    ibv_port_attr legacy;
    std::uint32_t active_speed_ex;
  };
  static_assert(offsetof(PortAttrEx, active_speed_ex) == sizeof(ibv_port_attr));
  PortAttrEx extended{};
  // verbs_get_ctx_op, without its statement expression: the op exists when the library's
  // context is extended and large enough to hold it.
  verbs_context* vctx = verbs_get_ctx(context);
  if (vctx != nullptr &&
      vctx->sz >= offsetof(verbs_context, query_port) + sizeof(vctx->query_port) &&
      vctx->query_port != nullptr &&
      vctx->query_port(context, static_cast<std::uint8_t>(port), &extended.legacy,
                       sizeof(extended)) == 0 &&
      extended.active_speed_ex != 0) {
    return extended.active_speed_ex;
  }
  return legacy.active_speed;
}

const std::string& prepare_for_fork() {
  static const std::string done = [] {
    if (ibv_is_fork_initialized() == IBV_FORK_UNNEEDED) return std::string("unneeded");
    const int rc = ibv_fork_init();
    return rc == 0 ? std::string("ibv_fork_init")
                   : "ibv_fork_init failed: " + error_text(rc > 0 ? rc : errno);
  }();
  return done;
}

VerbsDomain::VerbsDomain(VerbsPort opened, int access_flags)
    : port(std::move(opened)),
      pd(check(ibv_alloc_pd(port.context.get()), -1, "allocate protection domain")),
      access(access_flags),
      registrations(
          [this](std::byte* data, std::size_t length) -> void* {
            return register_verbs_memory(pd.get(), data, length, access, "register memory");
          },
          [](void* mr) { ibv_dereg_mr(static_cast<ibv_mr*>(mr)); }) {}

VerbsPort open_verbs_port(const VerbsOptions& options, int local_rank) {
  std::string why_not;
  auto opened = find_verbs_port(options, local_rank, why_not);
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
  if (find_verbs_port(options, 0, why_not)) return std::nullopt;
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
