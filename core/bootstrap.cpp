#include "core/bootstrap.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace fb {

std::string kernel_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  if (!id.empty()) return id;
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  return host.data();
}

std::unique_ptr<Bootstrap> Bootstrap::split(bool /*member*/) {
  throw std::logic_error("this bootstrap cannot split into subsets of its ranks");
}

void Bootstrap::barrier_sleeping() {
  barrier_progressing([] { std::this_thread::sleep_for(std::chrono::milliseconds(1)); });
}

std::vector<std::vector<std::byte>> Bootstrap::allgather_variable(std::span<const std::byte> mine) {
  const auto n = static_cast<std::size_t>(size());
  std::vector<std::int64_t> my_len(n, 0);
  my_len[static_cast<std::size_t>(rank())] = static_cast<std::int64_t>(mine.size());
  allreduce_sum(my_len);  // every rank learns every length
  const auto width = static_cast<std::size_t>(*std::max_element(my_len.begin(), my_len.end()));

  std::vector<std::byte> padded(width);
  std::copy(mine.begin(), mine.end(), padded.begin());
  std::vector<std::byte> all(width * n);
  allgather(padded, all);

  std::vector<std::vector<std::byte>> out(n);
  for (std::size_t r = 0; r < n; ++r) {
    const auto* begin = all.data() + r * width;
    out[r].assign(begin, begin + my_len[r]);
  }
  return out;
}

std::vector<std::string> Bootstrap::allgather_strings(const std::string& mine) {
  const auto bytes = std::as_bytes(std::span(mine.data(), mine.size()));
  auto gathered = allgather_variable(bytes);
  std::vector<std::string> out;
  out.reserve(gathered.size());
  for (const auto& g : gathered) {
    std::string s(g.size(), '\0');
    if (!g.empty()) std::memcpy(s.data(), g.data(), g.size());
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace fb
