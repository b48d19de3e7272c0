#include "collectives/exchange.hpp"

#include <string>

namespace fb {

void Exchange::wait(const char* step, int index) {
  deadline_.start();           // after the step's posts, before the transport is driven
  std::size_t first_open = 0;  // everything before it has completed
  while (true) {
    while (first_open < pending_.size() && transport_.test(pending_[first_open]))
      ++first_open;
    if (first_open == pending_.size()) break;
    transport_.progress();
    if (deadline_.idle_poll_expired()) {
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
