// Settings of the verbs transport. Defaults follow perftest's ib_write_bw so a fabricbench
// run and an ib_write_bw run on the same fabric are comparable.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fb {

// One entry of the device list: a device name and optionally its port (0: the first active).
struct VerbsDeviceChoice {
  std::string name;
  int port = 0;
  bool operator==(const VerbsDeviceChoice&) const = default;
};

struct VerbsOptions {
  // RDMA devices, "mlx5_0[:port]+mlx5_1[:port]+...": local rank i on a host takes entry
  // i mod count (the role of UCX_NET_DEVICES / NCCL_IB_HCA, one rail per local rank). Empty:
  // every device with the InfiniBand transport and an active port (InfiniBand link layer
  // preferred over Ethernet), spread over the local ranks the same way; iWARP and other
  // non-InfiniBand-transport devices are never taken.
  std::vector<VerbsDeviceChoice> devices;
  // The NIC the fabric's description (--topology) gives this rank, "name[:port]", set by
  // the harness in FB_TOPOLOGY_NIC_NAME: without a device list, the rank uses it when an
  // RDMA device of that name has a usable port (a description may name interfaces, such as
  // "eth0", which are no RDMA device: then the choice is made as without it).
  std::optional<VerbsDeviceChoice> topology_nic;
  // Port number for devices named without one (ports count from 1). 0: the first active.
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
  // Traffic class of the GRH (RoCE: the DSCP << 2 | ECN bits a lossless class is mapped from;
  // perftest --tclass) and InfiniBand service level (perftest --sl). 0: the default class.
  int tclass = 0;  // 0..255
  int sl = 0;      // 0..15
  // Partition key table index of the queue pairs (perftest --pkey_index); checked against
  // the port's table length.
  int pkey_index = 0;
  // Register memory with IBV_ACCESS_RELAXED_ORDERING: an optional flag that devices without
  // support ignore (PCIe relaxed ordering matters on some CPU/GPU root complexes).
  bool relaxed_ordering = true;
  // One shared receive queue for all peers (memory independent of the rank count) instead of
  // rx_depth buffers per queue pair. Used when the device offers SRQs (max_srq > 0).
  bool srq = true;
  // Eager receive buffers in the shared receive queue.
  int srq_depth = 1024;
};

// Parses "key=value,key=value" (keys as the fields above, `device` for the device list;
// gid_index also takes "auto"; relaxed_ordering and srq take 0 or 1).
// Unset keys keep their defaults. Throws std::invalid_argument with a one-line message
// for an unknown key, a malformed value or a value out of range.
VerbsOptions parse_verbs_options(const std::string& spec);

// Throws std::invalid_argument when a field is out of range or two fields disagree.
void validate(const VerbsOptions& options);

// Options from the FB_VERBS_OPTIONS environment variable (defaults when unset).
VerbsOptions verbs_options_from_environment();

}  // namespace fb
