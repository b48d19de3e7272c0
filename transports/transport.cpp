#include "transports/transport.hpp"

#include "transports/error.hpp"

#include <string>

namespace fb {

void Transport::wait(Request& req, Deadline deadline) {
  unsigned polls = 0;
  while (!test(req)) {
    progress();
    if (++polls % kPollsPerClockRead == 0 && Clock::now() > deadline) throw_timeout(req);
  }
}

void Transport::wait_all(std::span<Request> reqs, Deadline deadline) {
  for (auto& req : reqs)
    wait(req, deadline);
}

std::unique_ptr<MemoryRegion> Transport::register_device_memory(std::span<std::byte> bytes) {
  throw TransportError(std::string(name()), -1,
                       "register " + std::to_string(bytes.size()) + " bytes of device memory",
                       "this transport cannot move GPU memory");
}

void Transport::check_post(int peer, const MemoryRegion& region, std::size_t offset,
                           std::size_t bytes, const char* op) const {
  if (peer < 0 || peer >= size()) {
    throw TransportError(std::string(name()), peer, op,
                         "peer rank out of range 0.." + std::to_string(size() - 1));
  }
  const std::size_t size = region.bytes().size();
  if (offset > size || bytes > size - offset) {
    throw TransportError(std::string(name()), peer, op,
                         "range [" + std::to_string(offset) + ", +" + std::to_string(bytes) +
                             ") is outside the registered region of " + std::to_string(size) +
                             " bytes");
  }
}

void Transport::throw_timeout(const Request& req, std::string_view during) const {
  const char* what = req.kind == OpKind::send ? "send" : "receive";
  std::string operation =
      std::string("timed out waiting for ") + what + " of " + std::to_string(req.bytes) + " bytes";
  if (!during.empty()) operation += " during " + std::string(during);
  std::string detail = "the peer did not answer before the deadline (--timeout)";
  if (const auto more = stall_detail(); !more.empty()) detail += "; " + more;
  throw TimeoutError(std::string(name()), req.peer, operation, detail);
}

}  // namespace fb
