// RAII handles for libibverbs objects, the error helpers every verbs call goes through, and
// device/port selection. Only files under transports/verbs include <infiniband/verbs.h>.
#pragma once

#include <infiniband/verbs.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "transports/error.hpp"
#include "transports/verbs/registration_cache.hpp"

namespace fb {

// Destruction order matters to the kernel (QPs before their CQ, MRs and QPs before their
// PD, everything before the context); owners declare members in creation order.
struct VerbsContextDeleter {
  void operator()(ibv_context* context) const { ibv_close_device(context); }
};
struct VerbsPdDeleter {
  void operator()(ibv_pd* pd) const { ibv_dealloc_pd(pd); }
};
struct VerbsCqDeleter {
  void operator()(ibv_cq* cq) const { ibv_destroy_cq(cq); }
};
struct VerbsQpDeleter {
  void operator()(ibv_qp* qp) const { ibv_destroy_qp(qp); }
};
struct VerbsMrDeleter {
  void operator()(ibv_mr* mr) const { ibv_dereg_mr(mr); }
};
struct VerbsSrqDeleter {
  void operator()(ibv_srq* srq) const { ibv_destroy_srq(srq); }
};
struct VerbsDeviceListDeleter {
  void operator()(ibv_device** list) const { ibv_free_device_list(list); }
};

using VerbsContext = std::unique_ptr<ibv_context, VerbsContextDeleter>;
using VerbsPd = std::unique_ptr<ibv_pd, VerbsPdDeleter>;
using VerbsCq = std::unique_ptr<ibv_cq, VerbsCqDeleter>;
using VerbsQp = std::unique_ptr<ibv_qp, VerbsQpDeleter>;
using VerbsMr = std::unique_ptr<ibv_mr, VerbsMrDeleter>;
using VerbsSrq = std::unique_ptr<ibv_srq, VerbsSrqDeleter>;
using VerbsDeviceList = std::unique_ptr<ibv_device*, VerbsDeviceListDeleter>;

// Throws TransportError("verbs", peer, operation, strerror(error)).
[[noreturn]] void throw_verbs_error(int peer, const std::string& operation, int error);

// ibv_reg_mr, throwing TransportError(operation `what`) on failure; ENOMEM names
// RLIMIT_MEMLOCK and its current value.
ibv_mr* register_verbs_memory(ibv_pd* pd, void* data, std::size_t length, int access,
                              const std::string& what);

// Verbs calls returning int give 0 or an errno value (a few older providers return -1 and
// set errno); anything else becomes a TransportError.
inline void check(int rc, int peer, const char* operation) {
  if (rc != 0) throw_verbs_error(peer, operation, rc > 0 ? rc : errno);
}

// Verbs calls returning a pointer give nullptr and set errno on failure.
template <typename T>
T* check(T* handle, int peer, const char* operation) {
  if (handle == nullptr) throw_verbs_error(peer, operation, errno);
  return handle;
}

struct VerbsPort {
  VerbsContext context;
  std::string device;
  int port = 0;
  ibv_port_attr attr{};
  std::uint32_t speed = 0;  // active_speed, or active_speed_ex where the port reports one
};

struct VerbsOptions;

// The opened port, its protection domain and the registrations made in it. The transport and
// every memory region it hands out share it (shared_ptr): a region that outlives its
// transport keeps the PD and device open until it is released, so an ibv_mr is never left
// behind a deallocated PD or a closed device.
class VerbsDomain {
 public:
  VerbsDomain(VerbsPort opened, int access);
  VerbsDomain(const VerbsDomain&) = delete;
  VerbsDomain& operator=(const VerbsDomain&) = delete;
  ~VerbsDomain() = default;

  VerbsPort port;
  VerbsPd pd;
  int access;  // of every registration
  RegistrationCache registrations;
};

// Opens the device and port `options` give local rank `local_rank` (verbs_device_choice.hpp
// says how). Throws TransportError whose detail says why nothing usable was found.
VerbsPort open_verbs_port(const VerbsOptions& options, int local_rank);

// The port's speed code: active_speed_ex (XDR, 256, and later) where the library and the
// port report it, else the legacy active_speed.
std::uint32_t query_port_speed(ibv_context* context, int port, const ibv_port_attr& legacy);

// ibv_fork_init, once per process, before the first other verbs call this code makes
// (rdma-core asks for it before any registration: pinned pages must not be copied-on-write
// into a child). Returns what was done, in words: "unneeded" where the kernel makes it so
// (ibv_is_fork_initialized() == IBV_FORK_UNNEEDED), "ibv_fork_init", or why it failed.
const std::string& prepare_for_fork();

// nullopt when a device FB_VERBS_OPTIONS allows (for local rank 0) has an active port;
// otherwise why the verbs transport cannot run here.
std::optional<std::string> verbs_unavailable_reason();

// IBV_MTU_* for a byte count (256..4096), and back.
ibv_mtu verbs_mtu_from_bytes(int bytes);
int verbs_mtu_bytes(ibv_mtu mtu);

}  // namespace fb
