#include "harness/faults/peer_probe_wire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace fb {

namespace {

constexpr std::array<unsigned char, 4> kMagic{'f', 'b', 'p', '2'};
constexpr std::size_t kSecretAt = 4;
constexpr std::size_t kRankAt = kSecretAt + kProbeSecretBytes;
constexpr std::size_t kStateAt = kRankAt + 4;
static_assert(kStateAt + 1 == kProbeMessageBytes);

const char* reason_text(ProbeReject why) {
  switch (why) {
    case ProbeReject::none:
      return "genuine";
    case ProbeReject::not_a_probe:
      return "not a probe";
    case ProbeReject::wrong_secret:
      return "wrong secret";
    case ProbeReject::malformed:
      return "malformed";
    case ProbeReject::incomplete:
      return "incomplete";
    case ProbeReject::crowded_out:
      return "dropped to make room";
  }
  return "?";
}

}  // namespace

ProbeSecret draw_probe_secret() {
  ProbeSecret secret{};
  std::size_t got = 0;
  while (got < secret.size()) {
    const auto n = getrandom(secret.data() + got, secret.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "peer probe: getrandom");
    }
    got += static_cast<std::size_t>(n);
  }
  return secret;
}

bool same_secret(std::span<const unsigned char> a, std::span<const unsigned char> b) {
  if (a.size() != b.size()) return false;
  unsigned difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    difference |= static_cast<unsigned>(a[i] ^ b[i]);
  return difference == 0;
}

ProbeMessage encode_probe_message(const ProbeSecret& secret, int rank, bool failing) {
  ProbeMessage message{};
  std::copy(kMagic.begin(), kMagic.end(), message.begin());
  std::copy(secret.begin(), secret.end(), message.begin() + kSecretAt);
  const std::uint32_t wire_rank = htonl(static_cast<std::uint32_t>(rank));
  std::memcpy(message.data() + kRankAt, &wire_rank, sizeof wire_rank);
  message[kStateAt] = failing ? 1 : 0;
  return message;
}

bool may_become_probe(std::span<const unsigned char> prefix) {
  const auto n = std::min(prefix.size(), kMagic.size());
  return std::equal(prefix.begin(), prefix.begin() + static_cast<std::ptrdiff_t>(n),
                    kMagic.begin());
}

ProbeCheck check_probe_message(std::span<const unsigned char> bytes, const ProbeSecret& secret,
                               int ranks, int self) {
  ProbeCheck check;
  if (bytes.size() < kMagic.size() || !may_become_probe(bytes)) {
    check.reject = bytes.size() < kMagic.size() && may_become_probe(bytes)
                       ? ProbeReject::incomplete
                       : ProbeReject::not_a_probe;
    return check;
  }
  if (bytes.size() < kRankAt) {
    check.reject = ProbeReject::incomplete;
    return check;
  }
  if (!same_secret(bytes.subspan(kSecretAt, kProbeSecretBytes), secret)) {
    check.reject = ProbeReject::wrong_secret;
    return check;
  }
  if (bytes.size() != kProbeMessageBytes) {
    check.reject =
        bytes.size() < kProbeMessageBytes ? ProbeReject::incomplete : ProbeReject::malformed;
    return check;
  }
  std::uint32_t wire_rank = 0;
  std::memcpy(&wire_rank, bytes.data() + kRankAt, sizeof wire_rank);
  const auto rank = static_cast<std::int64_t>(ntohl(wire_rank));
  const auto state = bytes[kStateAt];
  if (rank >= ranks || rank == self || state > 1) {
    check.reject = ProbeReject::malformed;
    return check;
  }
  check.rank = static_cast<int>(rank);
  check.failing = state == 1;
  return check;
}

void IgnoredProbes::add(ProbeReject why, std::uint32_t from_ipv4) {
  if (why == ProbeReject::none) return;
  {
    std::lock_guard lock(mutex_);
    latest_from_ = from_ipv4;
  }
  counts_[static_cast<std::size_t>(why)].fetch_add(1);
}

std::uint64_t IgnoredProbes::count(ProbeReject why) const {
  return counts_[static_cast<std::size_t>(why)].load();
}

std::uint64_t IgnoredProbes::total() const {
  std::uint64_t sum = 0;
  for (const auto& c : counts_)
    sum += c.load();
  return sum;
}

std::string IgnoredProbes::breakdown() const {
  if (total() == 0) return "";
  std::string text;
  bool first = true;
  for (std::size_t i = 1; i < kProbeRejectKinds; ++i) {
    const auto n = counts_[i].load();
    if (n == 0) continue;
    text +=
        (first ? "" : ", ") + std::to_string(n) + " " + reason_text(static_cast<ProbeReject>(i));
    first = false;
  }
  std::lock_guard lock(mutex_);
  return text + "; latest from " + ipv4_text(latest_from_);
}

std::string ipv4_text(std::uint32_t address) {
  std::array<char, INET_ADDRSTRLEN> text{};
  in_addr in{};
  in.s_addr = address;
  inet_ntop(AF_INET, &in, text.data(), text.size());
  return text.data();
}

}  // namespace fb
