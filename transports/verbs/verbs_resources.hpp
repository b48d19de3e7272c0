// RAII handles for libibverbs objects, the error helpers every verbs call goes through, and
// device/port selection. Only files under transports/verbs include <infiniband/verbs.h>.
#pragma once

#include <infiniband/verbs.h>

#include <memory>
#include <optional>
#include <string>

#include "transports/error.hpp"

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
struct VerbsDeviceListDeleter {
  void operator()(ibv_device** list) const { ibv_free_device_list(list); }
};

using VerbsContext = std::unique_ptr<ibv_context, VerbsContextDeleter>;
using VerbsPd = std::unique_ptr<ibv_pd, VerbsPdDeleter>;
using VerbsCq = std::unique_ptr<ibv_cq, VerbsCqDeleter>;
using VerbsQp = std::unique_ptr<ibv_qp, VerbsQpDeleter>;
using VerbsMr = std::unique_ptr<ibv_mr, VerbsMrDeleter>;
using VerbsDeviceList = std::unique_ptr<ibv_device*, VerbsDeviceListDeleter>;

// Throws TransportError("verbs", peer, operation, strerror(error)).
[[noreturn]] void throw_verbs_error(int peer, const std::string& operation, int error);

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
};

// Opens `device` (empty: the first device with an active port) and `port` (0: its first
// active port). Throws TransportError whose detail says why nothing usable was found.
VerbsPort open_verbs_port(const std::string& device, int port);

// nullopt when a device with an active port is present (the one FB_VERBS_OPTIONS names,
// if it names one); otherwise why the verbs transport cannot run here.
std::optional<std::string> verbs_unavailable_reason();

// IBV_MTU_* for a byte count (256..4096), and back.
ibv_mtu verbs_mtu_from_bytes(int bytes);
int verbs_mtu_bytes(ibv_mtu mtu);

}  // namespace fb
