#include "transports/verbs/registration_cache.hpp"

#include <limits>

namespace fb {

void* RegistrationCache::Lease::handle() const {
  return cache_ == nullptr ? nullptr : cache_->entries_.at(key_).handle;
}

void RegistrationCache::Lease::reset() {
  if (cache_ != nullptr) std::exchange(cache_, nullptr)->release(key_);
}

RegistrationCache::~RegistrationCache() {
  for (const auto& [key, entry] : entries_)
    deregister_(entry.handle);
}

// Entries are ordered by (begin, length). A containing range starts at or before `begin`,
// but not necessarily at the nearest start (a small range may sit inside a large one), so
// walk back from the last candidate. The map holds one entry per live buffer: short.
RegistrationCache::Map::const_iterator RegistrationCache::find_containing(
    std::uintptr_t begin, std::size_t length) const {
  auto it = entries_.upper_bound({begin, std::numeric_limits<std::size_t>::max()});
  while (it != entries_.begin()) {
    --it;
    const auto [start, size] = it->first;
    if (begin - start <= size && length <= size - (begin - start)) return it;
  }
  return entries_.end();
}

RegistrationCache::Lease RegistrationCache::acquire(std::span<std::byte> bytes) {
  if (bytes.empty()) return {};
  const auto begin = reinterpret_cast<std::uintptr_t>(bytes.data());
  auto it = find_containing(begin, bytes.size());
  if (it == entries_.end()) {
    const Lease::Key key{begin, bytes.size()};
    // Register first: if it throws, the map is unchanged.
    void* handle = register_(bytes.data(), bytes.size());
    it = entries_.emplace(key, Entry{handle, 0}).first;
  }
  entries_.at(it->first).references++;
  return Lease(this, it->first);
}

std::size_t RegistrationCache::references(std::span<const std::byte> bytes) const {
  if (bytes.empty()) return 0;
  const auto it = find_containing(reinterpret_cast<std::uintptr_t>(bytes.data()), bytes.size());
  return it == entries_.end() ? 0 : it->second.references;
}

void RegistrationCache::release(Lease::Key key) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (--it->second.references == 0) {
    void* handle = it->second.handle;
    entries_.erase(it);
    deregister_(handle);
  }
}

}  // namespace fb
