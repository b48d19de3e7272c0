// Memory registrations shared between overlapping regions. Registering pins pages and costs
// a system call plus an IOMMU update, so a region that lies inside one already registered
// reuses that registration (collectives register views into one large buffer).
//
// A registration lives while a Lease on it does: it is deregistered when the last lease
// goes. Keeping unused registrations would need hooks on munmap/free to notice the memory
// being given back (and then reused at the same address for other pages), so this cache
// deliberately does not outlive its users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <utility>

namespace fb {

class RegistrationCache {
 public:
  // Registers [data, data + length) and returns an opaque handle (an ibv_mr*); throws on
  // failure. Injected so the cache logic is tested without an RDMA device.
  using RegisterFn = std::function<void*(std::byte* data, std::size_t length)>;
  using DeregisterFn = std::function<void(void* handle)>;

  // A reference to one registration; move-only, releases on destruction.
  class Lease {
   public:
    Lease() = default;
    ~Lease() { reset(); }
    Lease(Lease&& other) noexcept { *this = std::move(other); }
    Lease& operator=(Lease&& other) noexcept {
      if (this != &other) {
        reset();
        cache_ = std::exchange(other.cache_, nullptr);
        key_ = other.key_;
      }
      return *this;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    void* handle() const;
    explicit operator bool() const { return cache_ != nullptr; }
    void reset();

   private:
    friend class RegistrationCache;
    using Key = std::pair<std::uintptr_t, std::size_t>;  // (begin, length)
    Lease(RegistrationCache* cache, Key key) : cache_(cache), key_(key) {}
    RegistrationCache* cache_ = nullptr;
    Key key_{};
  };

  RegistrationCache(RegisterFn register_fn, DeregisterFn deregister_fn)
      : register_(std::move(register_fn)), deregister_(std::move(deregister_fn)) {}
  // Deregisters whatever leases still hold (their owners must not use them afterwards).
  ~RegistrationCache();
  RegistrationCache(const RegistrationCache&) = delete;
  RegistrationCache& operator=(const RegistrationCache&) = delete;

  // A lease on a registration containing `bytes` (an existing one when possible). An empty
  // span gets an empty lease: there is nothing to register.
  Lease acquire(std::span<std::byte> bytes);

  std::size_t registrations() const { return entries_.size(); }
  // Leases held on the registration containing `bytes`; 0 when none contains it.
  std::size_t references(std::span<const std::byte> bytes) const;

 private:
  struct Entry {
    void* handle = nullptr;
    std::size_t references = 0;
  };
  using Map = std::map<Lease::Key, Entry>;
  Map::const_iterator find_containing(std::uintptr_t begin, std::size_t length) const;
  void release(Lease::Key key);

  RegisterFn register_;
  DeregisterFn deregister_;
  Map entries_;
};

}  // namespace fb
