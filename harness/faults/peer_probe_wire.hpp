// The peer probe's message, the job secret it carries, and the count of messages ignored.
//
// A probe and its answer have one layout, 25 bytes:
//
//   offset  bytes  field
//   0       4      magic "fbp2": not secret; lets a responder drop another protocol at once
//   4       16     the job's secret: 128 bits drawn by rank 0 from the kernel's random
//                  source (getrandom) at start and shared through the bootstrap
//   20      4      the sender's rank, big-endian
//   24      1      the sender's state: 0 running, 1 failing
//
// A message counts only if it is exactly this long, carries the job's secret (compared in
// constant time), and names a rank of the job other than the receiver with a known state.
// Anything else (another protocol, a wrong secret, a short or long message, a connection
// that sends nothing in time) is ignored and counted: it never changes what a rank believes.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>

namespace fb {

inline constexpr std::size_t kProbeSecretBytes = 16;
using ProbeSecret = std::array<unsigned char, kProbeSecretBytes>;

inline constexpr std::size_t kProbeMessageBytes = 25;
using ProbeMessage = std::array<unsigned char, kProbeMessageBytes>;

// 128 random bits from getrandom(2); throws std::system_error if the kernel refuses.
ProbeSecret draw_probe_secret();

// Equal contents, in time independent of where they differ.
bool same_secret(std::span<const unsigned char> a, std::span<const unsigned char> b);

ProbeMessage encode_probe_message(const ProbeSecret& secret, int rank, bool failing);

// Why a message was ignored.
enum class ProbeReject : std::uint8_t {
  none,          // a genuine message
  not_a_probe,   // does not start with the magic: another protocol or garbage
  wrong_secret,  // the magic, but not this job's secret
  malformed,     // this job's secret, but the wrong length, a rank outside the job or its own
                 // rank, or an unknown state
  incomplete,    // closed, or silent past the read deadline, before a whole message came
  crowded_out,   // still incomplete when the open-connection cap made room for a newer one
};
inline constexpr std::size_t kProbeRejectKinds = 6;

struct ProbeCheck {
  ProbeReject reject = ProbeReject::none;
  int rank = -1;
  bool failing = false;
};

// Checks a whole message (`bytes` is everything received) from a job of `ranks` ranks, as
// received by rank `self`.
ProbeCheck check_probe_message(std::span<const unsigned char> bytes, const ProbeSecret& secret,
                               int ranks, int self);

// False once the first bytes received already differ from the magic (no need to wait for
// the rest).
bool may_become_probe(std::span<const unsigned char> prefix);

// Thread-safe tally of ignored messages, by reason, with the address of the latest sender.
class IgnoredProbes {
 public:
  void add(ProbeReject why, std::uint32_t from_ipv4);  // address in network byte order
  std::uint64_t total() const;
  std::uint64_t count(ProbeReject why) const;
  // "2 not a probe, 1 incomplete; latest from 127.0.0.1", or "" when none.
  std::string breakdown() const;

 private:
  std::array<std::atomic<std::uint64_t>, kProbeRejectKinds> counts_{};
  mutable std::mutex mutex_;
  std::uint32_t latest_from_ = 0;
};

// Dotted text of an IPv4 address in network byte order.
std::string ipv4_text(std::uint32_t address);

}  // namespace fb
