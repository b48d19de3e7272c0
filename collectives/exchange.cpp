#include "collectives/exchange.hpp"

#include <string>

namespace fb {

void Exchange::wait(const char* step, int index) {
  std::size_t first_open = 0;  // everything before it has completed
  unsigned polls = 0;
  while (true) {
    while (first_open < pending_.size() && transport_.test(pending_[first_open]))
      ++first_open;
    if (first_open == pending_.size()) break;
    transport_.progress();
    if (++polls % kPollsPerClockRead != 0) continue;
    const auto now = Clock::now();
    if (deadline_ == Deadline::max()) {
      deadline_ = now + timeout_;
    } else if (now > deadline_) {
      std::string during = what_;
      during.append(" (").append(step);
      if (index >= 0) during.append(" ").append(std::to_string(index));
      during.append(")");
      transport_.throw_timeout(pending_[first_open], during);
    }
  }
  pending_.clear();
}

}  // namespace fb
