// Which GID a RoCE port's queue pairs use when the user leaves gid_index at "auto".
// mlx5 lists, per address, a RoCE v1 and a RoCE v2 entry, link-local addresses first:
// index 0 is the link-local RoCE v1 GID, which a routed RoCE v2 fabric never delivers.
#pragma once

#include <infiniband/verbs.h>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace fb {

struct GidCandidate {
  int index = 0;
  ibv_gid_type type = IBV_GID_TYPE_IB;
  std::array<std::uint8_t, 16> gid{};
};

// A RoCE v2 entry with an IPv4-mapped address first, then any RoCE v2 entry (lowest index
// of each); nullopt when there is none. Empty entries are never candidates.
std::optional<int> choose_roce_gid_index(const std::vector<GidCandidate>& table);

// The port's non-empty GID entries (ibv_query_gid_ex; unused entries are skipped).
std::vector<GidCandidate> query_gid_table(ibv_context* context, int port, int table_length);

}  // namespace fb
