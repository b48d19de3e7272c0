// An in-process world of ranks on threads, for tests of code that talks through a Bootstrap:
// ThreadWorld(n).run(fn) calls fn(bootstrap) on n threads, one rank each, and rethrows the
// first exception any of them threw. Collectives meet at one rendezvous; send and receive go
// through one queue per ordered pair of ranks.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "core/bootstrap.hpp"

namespace fb {

class ThreadWorld {
 public:
  explicit ThreadWorld(int size) : size_(size), slots_(static_cast<std::size_t>(size)) {}

  void run(const std::function<void(Bootstrap&)>& body);

 private:
  class Rank;
  // Every rank contributes `mine`; each gets every rank's contribution, in rank order.
  std::vector<std::vector<std::byte>> exchange(int rank, std::vector<std::byte> mine) {
    std::unique_lock lock(mutex_);
    slots_[static_cast<std::size_t>(rank)] = std::move(mine);
    const auto generation = generation_;
    if (++arrived_ == size_) {
      result_ = slots_;
      arrived_ = 0;
      ++generation_;
      changed_.notify_all();
    } else {
      changed_.wait(lock, [&] { return generation_ != generation; });
    }
    return result_;
  }
  void send(int from, int to, std::span<const std::byte> data) {
    std::lock_guard lock(mutex_);
    queues_[{from, to}].emplace_back(data.begin(), data.end());
    changed_.notify_all();
  }
  void receive(int from, int to, std::span<std::byte> data) {
    std::unique_lock lock(mutex_);
    auto& queue = queues_[{from, to}];
    changed_.wait(lock, [&] { return !queue.empty(); });
    if (queue.front().size() != data.size()) {
      throw std::logic_error("thread bootstrap: message size does not match the receive");
    }
    std::copy(queue.front().begin(), queue.front().end(), data.begin());
    queue.pop_front();
  }

  int size_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::vector<std::byte>> slots_;
  std::vector<std::vector<std::byte>> result_;
  int arrived_ = 0;
  std::uint64_t generation_ = 0;
  std::map<std::pair<int, int>, std::deque<std::vector<std::byte>>> queues_;
};

class ThreadWorld::Rank final : public Bootstrap {
 public:
  Rank(ThreadWorld& world, int rank) : world_(world), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return world_.size_; }
  void allgather(std::span<const std::byte> mine, std::span<std::byte> all) override {
    const auto parts = world_.exchange(rank_, {mine.begin(), mine.end()});
    for (std::size_t r = 0; r < parts.size(); ++r)
      std::copy(parts[r].begin(), parts[r].end(),
                all.begin() + static_cast<std::ptrdiff_t>(r * mine.size()));
  }
  void broadcast(std::span<std::byte> data, int root) override {
    const auto parts = world_.exchange(rank_, {data.begin(), data.end()});
    const auto& from = parts[static_cast<std::size_t>(root)];
    std::copy(from.begin(), from.end(), data.begin());
  }
  void barrier() override { world_.exchange(rank_, {}); }
  void barrier_progressing(const std::function<void()>& progress) override {
    progress();
    barrier();
  }
  void allreduce_max(std::span<double> values) override {
    reduce(values, [](double a, double b) { return std::max(a, b); });
  }
  void allreduce_sum(std::span<std::int64_t> values) override {
    reduce(values, [](std::int64_t a, std::int64_t b) { return a + b; });
  }
  void send(std::span<const std::byte> data, int peer) override { world_.send(rank_, peer, data); }
  void receive(std::span<std::byte> data, int peer) override { world_.receive(peer, rank_, data); }

 private:
  template <typename T, typename Op>
  void reduce(std::span<T> values, Op op) {
    const auto bytes = std::as_bytes(values);
    const auto parts = world_.exchange(rank_, {bytes.begin(), bytes.end()});
    std::vector<T> other(values.size());
    for (std::size_t r = 0; r < parts.size(); ++r) {
      if (static_cast<int>(r) == rank_) continue;
      std::memcpy(other.data(), parts[r].data(), parts[r].size());
      for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = op(values[i], other[i]);
    }
  }

  ThreadWorld& world_;
  int rank_;
};

inline void ThreadWorld::run(const std::function<void(Bootstrap&)>& body) {
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size_));
  std::vector<std::thread> threads;
  for (int r = 0; r < size_; ++r) {
    threads.emplace_back([&, r] {
      Rank rank(*this, r);
      try {
        body(rank);
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace fb
