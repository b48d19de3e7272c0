#include "transports/verbs/verbs_gid.hpp"

#include <algorithm>

namespace fb {

namespace {

bool ipv4_mapped(const std::array<std::uint8_t, 16>& gid) {
  return std::all_of(gid.begin(), gid.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
         gid[10] == 0xff && gid[11] == 0xff;
}

bool empty(const std::array<std::uint8_t, 16>& gid) {
  return std::all_of(gid.begin(), gid.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

std::optional<int> choose_roce_gid_index(const std::vector<GidCandidate>& table) {
  std::optional<int> any_v2;
  std::optional<int> mapped_v2;
  for (const auto& entry : table) {
    if (entry.type != IBV_GID_TYPE_ROCE_V2 || empty(entry.gid)) continue;
    if (ipv4_mapped(entry.gid) && (!mapped_v2 || entry.index < *mapped_v2)) {
      mapped_v2 = entry.index;
    }
    if (!any_v2 || entry.index < *any_v2) any_v2 = entry.index;
  }
  return mapped_v2 ? mapped_v2 : any_v2;
}

std::vector<GidCandidate> query_gid_table(ibv_context* context, int port, int table_length) {
  std::vector<GidCandidate> table;
  for (int index = 0; index < table_length; ++index) {
    ibv_gid_entry entry{};
    if (ibv_query_gid_ex(context, static_cast<std::uint32_t>(port),
                         static_cast<std::uint32_t>(index), &entry, 0) != 0) {
      continue;  // unused entries answer ENODATA
    }
    GidCandidate candidate;
    candidate.index = index;
    candidate.type = static_cast<ibv_gid_type>(entry.gid_type);
    std::copy(std::begin(entry.gid.raw), std::end(entry.gid.raw), candidate.gid.begin());
    table.push_back(candidate);
  }
  return table;
}

}  // namespace fb
