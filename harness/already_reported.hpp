// An error that was already reported: the rank printed its message (or rank 0 printed it for
// every rank), so the top level ends the job without printing anything more.
#pragma once

#include <stdexcept>

namespace fb {

class AlreadyReported : public std::runtime_error {
 public:
  AlreadyReported() : std::runtime_error("the error was already reported") {}
};

}  // namespace fb
