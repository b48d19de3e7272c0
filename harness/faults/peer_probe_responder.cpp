#include "harness/faults/peer_probe_responder.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

namespace fb {

namespace {

using Clock = std::chrono::steady_clock;

std::system_error os_error(const std::string& what) {
  return {errno, std::generic_category(), "peer probe: " + what};
}

// At most this many accepts per wake-up, so a flood of connections cannot starve the
// connections already open.
constexpr int kAcceptsPerWake = 64;

}  // namespace

struct ProbeResponder::Connection {
  int fd = -1;
  std::uint32_t from = 0;  // the client's address, network byte order
  Clock::time_point opened;
  // One byte more than a message, so that a longer one is seen as such.
  std::array<unsigned char, kProbeMessageBytes + 1> bytes{};
  std::size_t got = 0;
};

ProbeResponder::ProbeResponder(const std::vector<std::uint32_t>& addresses, Job job,
                               ResponderLimits limits, StateFn state, ProbedFn probed,
                               IgnoredProbes& ignored)
    : job_(job),
      limits_(limits),
      state_(std::move(state)),
      probed_(std::move(probed)),
      ignored_(ignored) {
  const auto loopback = htonl(INADDR_LOOPBACK);
  addresses_.push_back(loopback);
  for (const auto a : addresses) {
    if (std::find(addresses_.begin(), addresses_.end(), a) == addresses_.end())
      addresses_.push_back(a);
  }
  bind_all();
  if (pipe2(wake_fds_, O_CLOEXEC) != 0) {
    const auto error = os_error("pipe");
    for (const int fd : listeners_)
      close(fd);
    throw error;
  }
  thread_ = std::thread([this] { serve(); });
}

ProbeResponder::~ProbeResponder() {
  if (thread_.joinable()) {
    const char stop = 1;
    [[maybe_unused]] const auto n = write(wake_fds_[1], &stop, 1);
    thread_.join();
  }
  for (const int fd : listeners_)
    close(fd);
  for (const int fd : wake_fds_) {
    if (fd >= 0) close(fd);
  }
}

// Every address on one port: the first (loopback) picks a free port, the others take the
// same one; if another process holds it on one of them, start over with a new port.
// An advertised address that can no longer be bound (its interface went away) is dropped
// from addresses_, which the caller then advertises.
void ProbeResponder::bind_all() {
  constexpr int kTries = 32;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    std::vector<std::uint32_t> bound;
    bool port_taken = false;
    port_ = 0;
    for (const auto address : addresses_) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) throw os_error("socket");
      const int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in at{};
      at.sin_family = AF_INET;
      at.sin_addr.s_addr = address;
      at.sin_port = htons(port_);
      if (bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) {
        const int error = errno;
        close(fd);
        if (error == EADDRINUSE && port_ != 0) {
          port_taken = true;
          break;
        }
        if (error == EADDRNOTAVAIL && !bound.empty()) continue;
        errno = error;
        for (const int l : listeners_)
          close(l);
        throw os_error("bind " + ipv4_text(address));
      }
      if (listen(fd, 128) != 0) {
        const auto error = os_error("listen on " + ipv4_text(address));
        close(fd);
        for (const int l : listeners_)
          close(l);
        throw error;
      }
      if (port_ == 0) {
        sockaddr_in got{};
        socklen_t length = sizeof got;
        getsockname(fd, reinterpret_cast<sockaddr*>(&got), &length);
        port_ = ntohs(got.sin_port);
      }
      listeners_.push_back(fd);
      bound.push_back(address);
    }
    if (!port_taken) {
      addresses_ = bound;
      return;
    }
    for (const int fd : listeners_)
      close(fd);
    listeners_.clear();
  }
  throw std::system_error(EADDRINUSE, std::generic_category(),
                          "peer probe: no port free on every advertised address after " +
                              std::to_string(kTries) + " tries");
}

void ProbeResponder::serve() {
  std::vector<Connection> open;  // oldest first (they are appended as accepted)
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({wake_fds_[0], POLLIN, 0});
    for (const int l : listeners_)
      fds.push_back({l, POLLIN, 0});
    for (const auto& c : open)
      fds.push_back({c.fd, POLLIN, 0});
    int wait_ms = -1;
    if (!open.empty()) {
      const auto left = open.front().opened + limits_.read_deadline - Clock::now();
      wait_ms = static_cast<int>(
          std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
    }
    if (poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) break;

    const std::size_t first_connection = 1 + listeners_.size();
    for (std::size_t i = 0; i < open.size(); ++i) {
      if (fds[first_connection + i].revents != 0 && read_from(open[i])) open[i].fd = -1;
    }
    std::erase_if(open, [](const Connection& c) { return c.fd < 0; });
    const auto now = Clock::now();
    while (!open.empty() && open.front().opened + limits_.read_deadline <= now) {
      reject(open.front(), ProbeReject::incomplete);
      open.erase(open.begin());
    }
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
      if (fds[1 + i].revents != 0) accept_from(listeners_[i], open);
    }
  }
  for (const auto& c : open)
    close(c.fd);
}

void ProbeResponder::accept_from(int listener, std::vector<Connection>& open) {
  for (int i = 0; i < kAcceptsPerWake; ++i) {
    sockaddr_in from{};
    socklen_t length = sizeof from;
    const int fd = accept4(listener, reinterpret_cast<sockaddr*>(&from), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // nothing left to accept (or out of descriptors: try next wake)
    Connection c;
    c.fd = fd;
    c.from = from.sin_addr.s_addr;
    c.opened = Clock::now();
    // A real prober has usually sent its message by now: answer it without a poll round.
    if (read_from(c)) continue;
    if (open.size() >= std::max<std::size_t>(limits_.max_connections, 1)) {
      reject(open.front(), ProbeReject::crowded_out);
      open.erase(open.begin());
    }
    open.push_back(c);
  }
}

bool ProbeResponder::read_from(Connection& c) {
  bool ended = false;  // the client closed, or the connection broke
  for (;;) {
    const auto n = recv(c.fd, c.bytes.data() + c.got, c.bytes.size() - c.got, MSG_DONTWAIT);
    if (n > 0) {
      c.got += static_cast<std::size_t>(n);
      const std::span<const unsigned char> so_far(c.bytes.data(), c.got);
      if (!may_become_probe(so_far)) {
        reject(c, ProbeReject::not_a_probe);
        return true;
      }
      if (c.got == c.bytes.size()) break;  // longer than a message
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (c.got < kProbeMessageBytes) return false;  // wait for the rest
      break;
    }
    ended = true;
    break;
  }
  const auto check =
      check_probe_message({c.bytes.data(), c.got}, job_.secret, job_.ranks, job_.rank);
  if (check.reject != ProbeReject::none) {
    reject(c, check.reject);
    return true;
  }
  if (!ended) {
    const auto answer = encode_probe_message(job_.secret, job_.rank, state_());
    [[maybe_unused]] const auto sent =
        send(c.fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  close(c.fd);
  c.fd = -1;
  // Recorded only once answered: a failing rank waiting for this prober may exit now.
  probed_(check.rank, check.failing);
  return true;
}

void ProbeResponder::reject(Connection& c, ProbeReject why) {
  ignored_.add(why, c.from);
  close(c.fd);
  c.fd = -1;
}

}  // namespace fb
