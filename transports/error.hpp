// Errors raised by transports and the bootstrap. Each carries enough context (which
// transport, which peer, which operation) to become one clear message at the top.
#pragma once

#include <stdexcept>
#include <string>

namespace fb {

class TransportError : public std::runtime_error {
 public:
  TransportError(std::string transport, int peer, std::string operation, const std::string& detail)
      : std::runtime_error(format(transport, peer, operation, detail)),
        transport_(std::move(transport)),
        peer_(peer),
        operation_(std::move(operation)) {}

  const std::string& transport() const { return transport_; }
  int peer() const { return peer_; }
  const std::string& operation() const { return operation_; }

 private:
  static std::string format(const std::string& transport, int peer, const std::string& operation,
                            const std::string& detail) {
    std::string msg = transport + ": " + operation;
    if (peer >= 0) msg += " (peer rank " + std::to_string(peer) + ")";
    if (!detail.empty()) msg += ": " + detail;
    return msg;
  }

  std::string transport_;
  int peer_;
  std::string operation_;
};

// A transport that cannot start on this job (a UCX configuration naming transports that do
// not exist, for one). Thrown collectively: every rank of the job throws it, with the same
// meaning, so the harness can record the transport's series as skipped and measure the rest.
class TransportUnavailable : public TransportError {
 public:
  TransportUnavailable(std::string transport, const std::string& reason)
      : TransportError(std::move(transport), -1, "start", reason) {}
};

// A wait that passed its deadline. Distinct type so the harness can report it as a hang.
class TimeoutError : public TransportError {
 public:
  using TransportError::TransportError;
};

}  // namespace fb
