// Settings of the verbs transport. Defaults follow perftest's ib_write_bw so a fabricbench
// run and an ib_write_bw run on the same fabric are comparable.
#pragma once

#include <optional>
#include <string>

namespace fb {

struct VerbsOptions {
  // RDMA device name (e.g. "mlx5_0"). Empty: the first device with an active port.
  std::string device;
  // Port number on that device (ports count from 1). 0: the first active port.
  int port = 0;
  // GID table index used for the GRH. nullopt ("auto"): on RoCE ports the first RoCE v2
  // GID with an IPv4-mapped address, else the first RoCE v2 GID (verbs_gid.hpp); none (LID
  // routing) on InfiniBand ports. -1: LID routing, no GRH (InfiniBand only; RoCE needs a GID).
  std::optional<int> gid_index;
  // Path MTU in bytes (256, 512, 1024, 2048 or 4096): an upper bound, clamped to the port's
  // active MTU. 0: the port's active MTU. Either way lowered to the peer's when the peer's is
  // smaller.
  int mtu = 0;
  // Send work requests outstanding per queue pair (ib_write_bw --tx-depth).
  int tx_depth = 128;
  // Receive buffers pre-posted per queue pair, each eager_threshold bytes plus a header.
  int rx_depth = 64;
  // Request a completion for every Nth send work request (ib_write_bw --cq-mod).
  // Must be <= tx_depth: the work request that fills the queue is always signalled.
  int cq_moderation = 64;
  // Messages whose header and payload fit are posted inline (ib_write_bw --inline_size);
  // clamped to the max_inline_data the device grants the queue pair.
  int inline_threshold = 64;
  // Messages up to this many bytes are copied through pre-posted receive buffers; larger
  // ones use the rendezvous protocol (zero copy, one extra round trip).
  int eager_threshold = 4096;
  // RC queue pairs to every peer; a message goes to one chosen by its tag, so messages with
  // the same tag stay in order.
  int qps_per_peer = 1;
  // RC timing and retries (IB spec encodings; ib_write_bw's values).
  int min_rnr_timer = 12;  // 0..31, 12 = 0.64 ms
  int timeout = 14;        // 0..31, 4.096 us * 2^14 = 67 ms
  int retry_cnt = 7;       // 0..7
  int rnr_retry = 7;       // 0..7, 7 = retry forever on receiver-not-ready
};

// Parses "key=value,key=value" (keys as the fields above; gid_index also takes "auto").
// Unset keys keep their defaults. Throws std::invalid_argument with a one-line message
// for an unknown key, a malformed value or a value out of range.
VerbsOptions parse_verbs_options(const std::string& spec);

// Throws std::invalid_argument when a field is out of range or two fields disagree.
void validate(const VerbsOptions& options);

// Options from the FB_VERBS_OPTIONS environment variable (defaults when unset).
VerbsOptions verbs_options_from_environment();

}  // namespace fb
