#include "harness/faults/peer_probe.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace fb {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::uint32_t> local_ipv4_addresses() {
  std::vector<std::uint32_t> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    if ((it->ifa_flags & IFF_UP) == 0 || (it->ifa_flags & IFF_LOOPBACK) != 0) continue;
    sockaddr_in address{};
    std::memcpy(&address, it->ifa_addr, sizeof address);
    out.push_back(address.sin_addr.s_addr);
    if (out.size() == 8) break;
  }
  freeifaddrs(list);
  return out;
}

// One connection attempt to one address of one peer.
struct Attempt {
  int peer = -1;
  std::uint32_t address = 0;
  int fd = -1;
  enum class Phase {
    connecting,
    connected,
    answered,
    refused,
    failed,
    silent
  } phase = Phase::connecting;
  ProbeMessage answer{};
  std::size_t got = 0;
  std::string detail;
};

void finish(Attempt& a, Attempt::Phase phase, std::string detail) {
  a.phase = phase;
  a.detail = std::move(detail);
  if (a.fd >= 0) close(a.fd);
  a.fd = -1;
}

// Connected: introduce ourselves (the job's secret, rank and state: 25 bytes, which fit any
// socket buffer), then await the answer.
void on_connected(Attempt& a, const ProbeMessage& hello) {
  a.phase = Attempt::Phase::connected;
  if (send(a.fd, hello.data(), hello.size(), MSG_NOSIGNAL | MSG_DONTWAIT) !=
      static_cast<ssize_t>(hello.size())) {
    finish(a,
           errno == ECONNREFUSED || errno == ECONNRESET || errno == EPIPE ? Attempt::Phase::refused
                                                                          : Attempt::Phase::failed,
           std::string("send: ") + std::strerror(errno));
  }
}

void start_attempt(Attempt& a, std::uint16_t port, const ProbeMessage& hello) {
  a.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (a.fd < 0) {
    finish(a, Attempt::Phase::failed, std::string("socket: ") + std::strerror(errno));
    return;
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = a.address;
  if (connect(a.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) {
    on_connected(a, hello);
  } else if (errno == EINPROGRESS) {
    a.phase = Attempt::Phase::connecting;
  } else if (errno == ECONNREFUSED) {
    finish(a, Attempt::Phase::refused, "connection refused");
  } else {
    finish(a, Attempt::Phase::failed, std::strerror(errno));
  }
}

void on_ready(Attempt& a, short revents, const ProbeMessage& hello) {
  if (a.phase == Attempt::Phase::connecting) {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == 0 && (revents & POLLOUT) != 0) {
      on_connected(a, hello);
    } else if (error == ECONNREFUSED) {
      finish(a, Attempt::Phase::refused, "connection refused");
    } else if (error != 0) {
      finish(a, Attempt::Phase::failed, std::strerror(error));
    }
    return;
  }
  // Connected: read the answer.
  const auto n = read(a.fd, a.answer.data() + a.got, a.answer.size() - a.got);
  if (n > 0) {
    a.got += static_cast<std::size_t>(n);
    if (a.got == a.answer.size()) finish(a, Attempt::Phase::answered, "");
  } else if (n == 0 && a.got > 0) {
    finish(a, Attempt::Phase::answered, "");  // a short answer: judged (and refused) as such
  } else if (n == 0) {
    finish(a, Attempt::Phase::silent, "closed the connection without answering");
  } else if (errno != EAGAIN && errno != EINTR) {
    finish(a, errno == ECONNRESET ? Attempt::Phase::refused : Attempt::Phase::failed,
           std::strerror(errno));
  }
}

}  // namespace

std::string_view to_string(PeerState state) {
  switch (state) {
    case PeerState::alive:
      return "alive";
    case PeerState::failing:
      return "failing";
    case PeerState::gone:
      return "gone";
    case PeerState::silent:
      return "silent";
    case PeerState::unreachable:
      return "unreachable";
  }
  return "?";
}

std::string local_host_name() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) return "unknown-host";
  return host.data();
}

std::string encode_endpoint(const ProbeEndpoint& endpoint) {
  std::string text = endpoint.host + '\t' + std::to_string(endpoint.port) + '\t';
  for (std::size_t i = 0; i < endpoint.ipv4.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(endpoint.ipv4[i]);
  }
  return text;
}

ProbeEndpoint decode_endpoint(const std::string& text) {
  const auto tab1 = text.find('\t');
  const auto tab2 = tab1 == std::string::npos ? tab1 : text.find('\t', tab1 + 1);
  if (tab2 == std::string::npos) throw std::invalid_argument("bad probe endpoint '" + text + "'");
  ProbeEndpoint endpoint;
  endpoint.host = text.substr(0, tab1);
  const auto port = std::stoul(text.substr(tab1 + 1, tab2 - tab1 - 1));
  if (port > 65535) throw std::invalid_argument("bad probe port in '" + text + "'");
  endpoint.port = static_cast<std::uint16_t>(port);
  std::size_t start = tab2 + 1;
  while (start < text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    endpoint.ipv4.push_back(static_cast<std::uint32_t>(std::stoul(text.substr(start, comma))));
    start = comma + 1;
  }
  return endpoint;
}

PeerProbe::PeerProbe(Bootstrap& bootstrap) : rank_(bootstrap.rank()), host_(local_host_name()) {
  // Drawn by one rank, shared over the bootstrap: outside the job, nobody learns it.
  if (rank_ == 0) secret_ = draw_probe_secret();
  bootstrap.broadcast(std::as_writable_bytes(std::span(secret_)), 0);
  mine_.host = host_;
  mine_.ipv4 = local_ipv4_addresses();
  probed_by_.assign(static_cast<std::size_t>(bootstrap.size()), false);
  start_responder(ResponderLimits{});
  for (const auto& text : bootstrap.allgather_strings(encode_endpoint(mine_))) {
    endpoints_.push_back(decode_endpoint(text));
  }
}

PeerProbe::PeerProbe(int self, std::vector<ProbeEndpoint> endpoints, const ProbeSecret& secret,
                     bool start, ResponderLimits limits)
    : rank_(self), secret_(secret), endpoints_(std::move(endpoints)) {
  host_ = endpoints_.at(static_cast<std::size_t>(self)).host;
  mine_ = endpoints_[static_cast<std::size_t>(self)];
  probed_by_.assign(endpoints_.size(), false);
  if (start) {
    start_responder(limits);
    endpoints_[static_cast<std::size_t>(self)] = mine_;
  }
}

PeerProbe::~PeerProbe() = default;

const std::string& PeerProbe::host_of(int rank) const {
  return endpoints_.at(static_cast<std::size_t>(rank)).host;
}

std::vector<std::uint32_t> PeerProbe::listening_addresses() const {
  return responder_ ? responder_->addresses() : std::vector<std::uint32_t>{};
}

// Listens on what this rank advertises (and loopback), then advertises what it could bind.
void PeerProbe::start_responder(const ResponderLimits& limits) {
  const ProbeResponder::Job job{secret_, rank_, static_cast<int>(probed_by_.size())};
  responder_ = std::make_unique<ProbeResponder>(
      mine_.ipv4, job, limits, [this] { return failing_.load(); },
      [this](int from, bool failing) { on_probed(from, failing); }, ignored_);
  mine_.port = responder_->port();
  const auto& bound = responder_->addresses();
  mine_.ipv4.assign(bound.begin() + 1, bound.end());  // without loopback
}

void PeerProbe::on_probed(int from, bool failing) {
  if (failing) {
    int none = -1;
    failure_from_.compare_exchange_strong(none, from);
  }
  {
    std::lock_guard lock(probed_mutex_);
    probed_by_[static_cast<std::size_t>(from)] = true;
  }
  probed_cv_.notify_all();
}

bool PeerProbe::wait_probed_by(const std::vector<int>& ranks, std::chrono::milliseconds deadline) {
  std::unique_lock lock(probed_mutex_);
  return probed_cv_.wait_for(lock, deadline, [&] {
    return std::all_of(ranks.begin(), ranks.end(), [&](int r) {
      return r >= 0 && static_cast<std::size_t>(r) < probed_by_.size() &&
             probed_by_[static_cast<std::size_t>(r)];
    });
  });
}

std::vector<PeerVerdict> PeerProbe::probe(std::chrono::milliseconds deadline) const {
  const auto loopback = htonl(INADDR_LOOPBACK);
  const auto hello = encode_probe_message(secret_, rank_, failing_.load());
  std::vector<PeerVerdict> verdicts;
  std::vector<Attempt> attempts;
  for (int peer = 0; peer < static_cast<int>(endpoints_.size()); ++peer) {
    if (peer == rank_) continue;
    const auto& endpoint = endpoints_[static_cast<std::size_t>(peer)];
    verdicts.push_back({peer, endpoint.host, PeerState::unreachable, ""});
    std::vector<std::uint32_t> targets =
        endpoint.host == host_ ? std::vector<std::uint32_t>{loopback} : endpoint.ipv4;
    if (targets.empty()) verdicts.back().detail = "no address to reach it at";
    for (const auto address : targets) {
      Attempt a;
      a.peer = peer;
      a.address = address;
      start_attempt(a, endpoint.port, hello);
      attempts.push_back(std::move(a));
    }
  }

  const auto end = Clock::now() + deadline;
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Attempt*> owners;
    for (auto& a : attempts) {
      if (a.fd < 0) continue;
      const short events = a.phase == Attempt::Phase::connecting ? POLLOUT : POLLIN;
      fds.push_back({a.fd, events, 0});
      owners.push_back(&a);
    }
    if (fds.empty()) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0) break;
    const int ready = poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents != 0) on_ready(*owners[i], fds[i].revents, hello);
    }
  }
  const auto seconds = std::to_string(static_cast<double>(deadline.count()) / 1000.0);
  const auto shown_seconds = seconds.substr(0, seconds.find('.') + 2);
  for (auto& a : attempts) {
    if (a.phase == Attempt::Phase::connecting) {
      finish(a, Attempt::Phase::failed, "no connection in " + shown_seconds + " s");
    } else if (a.phase == Attempt::Phase::connected) {
      finish(a, Attempt::Phase::silent, "connected but no answer in " + shown_seconds + " s");
    }
  }

  // Per peer, the best attempt decides: alive if any address answered as that rank; else
  // gone if any refused; else silent if any connected; else unreachable.
  auto order = [](PeerState state) { return static_cast<int>(state); };  // enum order
  for (auto& verdict : verdicts) {
    bool first = true;
    for (const auto& a : attempts) {
      if (a.peer != verdict.rank) continue;
      PeerState state = PeerState::unreachable;
      std::string why = ipv4_text(a.address) + ": " + a.detail;
      if (a.phase == Attempt::Phase::answered) {
        const auto check = check_probe_message({a.answer.data(), a.got}, secret_,
                                               static_cast<int>(endpoints_.size()), rank_);
        if (check.reject != ProbeReject::none) {
          // Something that is not this job's rank holds the peer's port.
          ignored_.add(check.reject, a.address);
          state = PeerState::gone;
          why = ipv4_text(a.address) + ": the answer on its port is not from this job";
        } else {
          state = check.rank != verdict.rank ? PeerState::gone
                  : check.failing            ? PeerState::failing
                                             : PeerState::alive;
          why = check.rank == verdict.rank
                    ? ""
                    : ipv4_text(a.address) + ": rank " + std::to_string(check.rank) +
                          " answers on its port";
        }
      } else if (a.phase == Attempt::Phase::refused) {
        state = PeerState::gone;
      } else if (a.phase == Attempt::Phase::silent) {
        state = PeerState::silent;
      }
      if (first || order(state) < order(verdict.state)) {
        verdict.state = state;
        verdict.detail = why;
        first = false;
      }
    }
  }
  return verdicts;
}

}  // namespace fb
