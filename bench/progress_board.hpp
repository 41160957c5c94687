// Exchanges completed, one counter per client thread, each on a cache line
// of its own: a thread bumps only its own (a plain store, no locked
// read-modify-write, no line shared with another writer), and the watchdog
// sums them once a second. The counters only grow, across runs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace sockchurn::bench {

class ProgressBoard {
 public:
  explicit ProgressBoard(std::size_t threads) : slots_(std::make_unique<Slot[]>(threads)), size_(threads) {}

  class Counter {
   public:
    // One more exchange of the owning thread (the only writer).
    void add() noexcept { n_->store(n_->load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return n_->load(std::memory_order_relaxed); }

   private:
    friend class ProgressBoard;
    explicit Counter(std::atomic<std::uint64_t>* n) : n_(n) {}
    std::atomic<std::uint64_t>* n_;
  };

  // Thread `i`'s counter (0 <= i < threads).
  Counter counter(std::size_t i) noexcept { return Counter(&slots_[i].n); }
  std::size_t size() const noexcept { return size_; }

  // Every thread's exchanges so far.
  std::uint64_t total() const noexcept {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < size_; ++i) sum += slots_[i].n.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> n{0};
  };
  std::unique_ptr<Slot[]> slots_;
  std::size_t size_;
};

}  // namespace sockchurn::bench
