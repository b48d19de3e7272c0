#include "harness/peer_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
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

std::system_error os_error(const char* what) {
  return {errno, std::generic_category(), what};
}

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

std::string ipv4_text(std::uint32_t address) {
  std::array<char, INET_ADDRSTRLEN> text{};
  in_addr in{};
  in.s_addr = address;
  inet_ntop(AF_INET, &in, text.data(), text.size());
  return text.data();
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
  std::array<unsigned char, 5> answer{};  // rank (network order), state (0 running, 1 failing)
  std::size_t got = 0;
  std::string detail;
};

void finish(Attempt& a, Attempt::Phase phase, std::string detail) {
  a.phase = phase;
  a.detail = std::move(detail);
  if (a.fd >= 0) close(a.fd);
  a.fd = -1;
}

// Connected: introduce ourselves (rank in network order, then 1 if this rank is failing: 5
// bytes, which fit any socket buffer), then await the answer.
void on_connected(Attempt& a, int self, bool failing) {
  a.phase = Attempt::Phase::connected;
  std::array<unsigned char, 5> hello{};
  const std::uint32_t me = htonl(static_cast<std::uint32_t>(self));
  std::memcpy(hello.data(), &me, sizeof me);
  hello[4] = failing ? 1 : 0;
  if (send(a.fd, hello.data(), hello.size(), MSG_NOSIGNAL | MSG_DONTWAIT) !=
      static_cast<ssize_t>(hello.size())) {
    finish(a,
           errno == ECONNREFUSED || errno == ECONNRESET || errno == EPIPE ? Attempt::Phase::refused
                                                                          : Attempt::Phase::failed,
           std::string("send: ") + std::strerror(errno));
  }
}

void start_attempt(Attempt& a, std::uint16_t port, int self, bool failing) {
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
    on_connected(a, self, failing);
  } else if (errno == EINPROGRESS) {
    a.phase = Attempt::Phase::connecting;
  } else if (errno == ECONNREFUSED) {
    finish(a, Attempt::Phase::refused, "connection refused");
  } else {
    finish(a, Attempt::Phase::failed, std::strerror(errno));
  }
}

void on_ready(Attempt& a, short revents, int self, bool failing) {
  if (a.phase == Attempt::Phase::connecting) {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == 0 && (revents & POLLOUT) != 0) {
      on_connected(a, self, failing);
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
  mine_.host = host_;
  mine_.ipv4 = local_ipv4_addresses();
  probed_by_.assign(static_cast<std::size_t>(bootstrap.size()), false);
  start_responder();
  for (const auto& text : bootstrap.allgather_strings(encode_endpoint(mine_))) {
    endpoints_.push_back(decode_endpoint(text));
  }
}

PeerProbe::PeerProbe(int self, std::vector<ProbeEndpoint> endpoints, bool start)
    : rank_(self), endpoints_(std::move(endpoints)) {
  host_ = endpoints_.at(static_cast<std::size_t>(self)).host;
  mine_ = endpoints_[static_cast<std::size_t>(self)];
  probed_by_.assign(endpoints_.size(), false);
  if (start) {
    start_responder();
    endpoints_[static_cast<std::size_t>(self)].port = mine_.port;
  }
}

PeerProbe::~PeerProbe() {
  if (thread_.joinable()) {
    const char stop = 1;
    [[maybe_unused]] const auto n = write(wake_fds_[1], &stop, 1);
    thread_.join();
  }
  for (const int fd : {listen_fd_, wake_fds_[0], wake_fds_[1]}) {
    if (fd >= 0) close(fd);
  }
}

const std::string& PeerProbe::host_of(int rank) const {
  return endpoints_.at(static_cast<std::size_t>(rank)).host;
}

void PeerProbe::start_responder() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw os_error("peer probe: socket");
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_ANY);
  any.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0) {
    throw os_error("peer probe: bind");
  }
  if (listen(listen_fd_, 128) != 0) throw os_error("peer probe: listen");
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  mine_.port = ntohs(bound.sin_port);
  if (pipe2(wake_fds_, O_CLOEXEC) != 0) throw os_error("peer probe: pipe");
  thread_ = std::thread([this] { serve(); });
}

void PeerProbe::serve() {
  for (;;) {
    std::array<pollfd, 2> fds{{{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}}};
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    answer(fd);
    close(fd);
  }
}

void PeerProbe::answer(int fd) {
  // The prober's rank first (it sends it as soon as it is connected); do not let a stray
  // client hold the responder for long.
  timeval limit{0, 500000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  std::array<unsigned char, 5> peer{};
  std::size_t got = 0;
  while (got < peer.size()) {
    const auto n = recv(fd, peer.data() + got, peer.size() - got, 0);
    if (n <= 0) return;
    got += static_cast<std::size_t>(n);
  }
  std::uint32_t value = 0;
  std::memcpy(&value, peer.data(), sizeof value);
  const auto from = static_cast<std::size_t>(ntohl(value));
  if (peer[4] != 0 && from < probed_by_.size()) {
    int none = -1;
    failure_from_.compare_exchange_strong(none, static_cast<int>(from));
  }
  std::array<unsigned char, 5> reply{};
  const std::uint32_t me = htonl(static_cast<std::uint32_t>(rank_));
  std::memcpy(reply.data(), &me, sizeof me);
  reply[4] = failing_.load() ? 1 : 0;
  [[maybe_unused]] const auto n = send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
  // Recorded only once answered: a failing rank waiting for this prober may exit now.
  {
    std::lock_guard lock(probed_mutex_);
    if (from < probed_by_.size()) probed_by_[from] = true;
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
      start_attempt(a, endpoint.port, rank_, failing_.load());
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
      if (fds[i].revents != 0) on_ready(*owners[i], fds[i].revents, rank_, failing_.load());
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
        std::uint32_t value = 0;
        std::memcpy(&value, a.answer.data(), sizeof value);
        const auto answered = static_cast<int>(ntohl(value));
        const auto running = a.answer[4] == 0 ? PeerState::alive : PeerState::failing;
        state = answered == verdict.rank ? running : PeerState::gone;
        why = answered == verdict.rank ? ""
                                       : ipv4_text(a.address) + ": rank " +
                                             std::to_string(answered) + " answers on its port";
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
