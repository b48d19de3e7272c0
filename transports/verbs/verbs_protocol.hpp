// The verbs transport's wire protocol, on one RC queue pair per (peer, tag lane):
//
//   eager (payload <= eager_threshold): one SEND of header + payload into a receive buffer
//   the peer pre-posted; the receiver matches it and copies the payload out.
//
//   rendezvous (larger): zero copy on both sides, RDMA WRITE WITH IMMEDIATE for completion
//       sender                              receiver
//       SEND  rts {tag, length, sender slot}  ->  matched to a posted receive
//             <-  SEND cts {address, rkey, posted length, sender slot, receiver slot}
//       RDMA WRITE WITH IMM (imm = receiver slot) of the payload straight into the buffer
//                                            ->  the immediate completes the receive
//   The sender's request completes with its write; the receiver's with the immediate,
//   which RC delivers only after the written data. A length mismatch is reported on both
//   sides: the receiver sees it matching the rts, the sender reads it in the cts.
//
// Receive buffers are reposted as soon as their message is handled (an unexpected eager
// payload is copied out first), and rnr_retry = 7 makes a sender that finds none posted
// retry rather than fail, so there is no credit scheme. Both ends run the same binary on
// the same architecture, so headers travel as plain structs.
#pragma once

#include <cstdint>
#include <type_traits>

namespace fb::verbs_protocol {

enum class WireType : std::uint8_t { eager = 1, rts = 2, cts = 3 };

struct WireHeader {
  std::uint64_t tag = 0;
  std::uint64_t length = 0;         // eager/rts: payload bytes; cts: the receive's posted bytes
  std::uint64_t address = 0;        // cts: where to write
  std::uint32_t rkey = 0;           // cts: the receive buffer's rkey
  std::uint32_t sender_slot = 0;    // rts/cts: the sender's request
  std::uint32_t receiver_slot = 0;  // cts: the receiver's request (the write's immediate)
  WireType type = WireType::eager;
  std::uint8_t reserved[3] = {};
};
static_assert(std::is_trivially_copyable_v<WireHeader> && sizeof(WireHeader) == 40);

// Work request ids. Completions with an error carry only wr_id, status and qp_num (not the
// opcode), so the id alone says whether it was a receive, and on which queue pair.
//   receive: bit 63 set, low bits the receive buffer's index
//   send:    bit 63 clear, bits 48..62 the channel (queue pair) index, bits 0..47 its
//            send sequence number (2^48 sends per queue pair is never reached)
constexpr std::uint64_t kReceiveBit = std::uint64_t{1} << 63;
constexpr int kSequenceBits = 48;
constexpr std::uint64_t kSequenceMask = (std::uint64_t{1} << kSequenceBits) - 1;
constexpr std::uint32_t kMaxChannels = 1U << 15;

constexpr std::uint64_t receive_wr_id(std::uint64_t buffer_index) {
  return kReceiveBit | buffer_index;
}
constexpr std::uint64_t send_wr_id(std::uint32_t channel, std::uint64_t sequence) {
  return (std::uint64_t{channel} << kSequenceBits) | (sequence & kSequenceMask);
}
constexpr bool is_receive(std::uint64_t wr_id) {
  return (wr_id & kReceiveBit) != 0;
}
constexpr std::uint64_t receive_buffer(std::uint64_t wr_id) {
  return wr_id & ~kReceiveBit;
}
constexpr std::uint32_t send_channel(std::uint64_t wr_id) {
  return static_cast<std::uint32_t>(wr_id >> kSequenceBits);
}
// The full sequence number from its low 48 bits, given the oldest one outstanding.
constexpr std::uint64_t send_sequence(std::uint64_t wr_id, std::uint64_t oldest_outstanding) {
  const auto low = wr_id & kSequenceMask;
  auto sequence = (oldest_outstanding & ~kSequenceMask) | low;
  if (sequence < oldest_outstanding) sequence += kSequenceMask + 1;
  return sequence;
}

// Spreads tags over a peer's queue pairs. A tag always maps to the same queue pair, so
// messages with the same (peer, tag) stay in order; different tags may overtake.
constexpr std::uint32_t lane_for_tag(std::uint64_t tag, std::uint32_t lanes) {
  return static_cast<std::uint32_t>((tag ^ (tag >> 8) ^ (tag >> 32)) % lanes);
}

}  // namespace fb::verbs_protocol
