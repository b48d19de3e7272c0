// An in-process world of ranks on threads, for tests of code that talks through a Bootstrap:
// ThreadWorld(n).run(fn) calls fn(bootstrap) on n threads, one rank each, and rethrows the
// first exception any of them threw. Collectives meet at one rendezvous; send and receive go
// through one queue per ordered pair of ranks. When a rank throws, the world is aborted: the
// others' waits in the bootstrap throw instead of hanging, and the hooks added with
// on_abort() run (to abort a transport's waits too).
#pragma once

#include <algorithm>
#include <chrono>
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
  // Called once, from the failing rank's thread, when a rank has thrown.
  void on_abort(std::function<void()> hook) { abort_hooks_.push_back(std::move(hook)); }

 private:
  class Rank;
  [[noreturn]] static void aborted() {
    throw std::runtime_error("thread world: aborted, another rank failed");
  }
  void abort() {
    {
      std::lock_guard lock(mutex_);
      aborted_ = true;
      changed_.notify_all();
    }
    for (const auto& hook : abort_hooks_)
      hook();
  }
  // Every rank contributes `mine`; each gets every rank's contribution, in rank order.
  // `progress`, when given, is called about every millisecond while this rank waits.
  std::vector<std::vector<std::byte>> exchange(int rank, std::vector<std::byte> mine,
                                               const std::function<void()>* progress = nullptr) {
    std::unique_lock lock(mutex_);
    if (aborted_) aborted();
    slots_[static_cast<std::size_t>(rank)] = std::move(mine);
    const auto generation = generation_;
    if (++arrived_ == size_) {
      result_ = slots_;
      arrived_ = 0;
      ++generation_;
      changed_.notify_all();
      return result_;
    }
    const auto finished = [&] { return generation_ != generation || aborted_; };
    if (progress == nullptr) {
      changed_.wait(lock, finished);
    } else {
      while (!changed_.wait_for(lock, std::chrono::milliseconds(1), finished)) {
        lock.unlock();
        (*progress)();
        lock.lock();
      }
    }
    if (generation_ == generation) aborted();
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
    changed_.wait(lock, [&] { return !queue.empty() || aborted_; });
    if (queue.empty()) aborted();
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
  bool aborted_ = false;
  std::vector<std::function<void()>> abort_hooks_;
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
    world_.exchange(rank_, {}, &progress);
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
  // The first exception in time is the cause; those after it are the abort's echoes.
  std::exception_ptr first;
  std::mutex first_mutex;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(size_));
  for (int r = 0; r < size_; ++r) {
    threads.emplace_back([&, r] {
      Rank rank(*this, r);
      try {
        body(rank);
      } catch (...) {
        bool is_first = false;
        {
          std::lock_guard lock(first_mutex);
          if (!first) {
            first = std::current_exception();
            is_first = true;
          }
        }
        if (is_first) abort();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace fb
