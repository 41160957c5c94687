// A fixed-size log-linear latency histogram (HdrHistogram's layout): one
// thread records into its own without allocating, the run merges them, and
// the percentiles come from the merged counts.
//
// Resolution: values below 256 ns are kept exactly; above, each power of two
// is split into 128 equal buckets, so a bucket is at most 1/128 of its values
// wide and a percentile (the bucket's midpoint) is within 1/256 (0.4%) of the
// recorded value it stands for. The minimum and maximum are exact. Every
// 64-bit value has a bucket: nothing is clamped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sockchurn::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;                                 // 128 buckets per power of two
  static constexpr std::uint64_t kExactBelow = 1ULL << (kSubBits + 1);  // 256 ns
  static constexpr std::size_t kBuckets = kExactBelow + (63 - kSubBits) * (1ULL << kSubBits);

  // Allocates and zeroes every bucket now (about 60 KB), so that record()
  // never allocates nor touches a fresh page.
  LatencyHistogram();

  void record(std::uint64_t ns) noexcept {
    ++counts_[bucket_of(ns)];
    ++count_;
    if (ns > max_) max_ = ns;
    if (ns < min_) min_ = ns;
  }
  void merge(const LatencyHistogram& other);
  void clear();  // keeps the buckets' memory

  std::uint64_t count() const noexcept { return count_; }
  // Exact; 0 for no samples.
  std::uint64_t max_ns() const noexcept { return max_; }
  std::uint64_t min_ns() const noexcept { return count_ == 0 ? 0 : min_; }
  // The q-quantile (0..1) at the nearest lower rank, floor(q * (count - 1)),
  // as the midpoint of its bucket clamped to [min, max], in µs; 0 for no
  // samples.
  double percentile_us(double q) const;

  static std::size_t bucket_of(std::uint64_t ns) noexcept;
  // The smallest value of bucket `b` and its width (1 below kExactBelow).
  static std::uint64_t bucket_low(std::size_t b) noexcept;
  static std::uint64_t bucket_width(std::size_t b) noexcept;

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
};

}  // namespace sockchurn::bench
