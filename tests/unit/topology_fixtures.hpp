// Fabric descriptions the unit tests share.
#pragma once

namespace fb::test {

// 2 leaves under one spine, 2 hosts each, uplinks at half the leaf's host rate (2:1).
inline constexpr const char* kLeafSpine = R"(
version: 1
switches:
  - name: spine
  - name: leaf[0-1]
    uplinks: [{to: spine, rate: 400Mbit}]
hosts:
  - name: n[1-2]
    nics: [{name: eth0, switch: leaf0, rate: 400Mbit}]
  - name: n[3-4]
    nics: [{name: eth0, switch: leaf1, rate: 400Mbit}]
)";

}  // namespace fb::test
