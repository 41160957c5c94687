#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>

namespace sockchurn::bench {

namespace {
constexpr std::uint64_t kSub = 1ULL << LatencyHistogram::kSubBits;
}

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

std::size_t LatencyHistogram::bucket_of(std::uint64_t ns) noexcept {
  if (ns < kExactBelow) return static_cast<std::size_t>(ns);
  const int e = static_cast<int>(std::bit_width(ns)) - 1;  // 2^e <= ns < 2^(e+1), e > kSubBits
  const int shift = e - kSubBits;
  return static_cast<std::size_t>(kExactBelow + static_cast<std::uint64_t>(e - kSubBits - 1) * kSub +
                                  ((ns >> shift) - kSub));
}

std::uint64_t LatencyHistogram::bucket_low(std::size_t b) noexcept {
  if (b < kExactBelow) return b;
  const std::uint64_t i = b - kExactBelow;
  const int shift = static_cast<int>(i / kSub) + 1;
  return (kSub + i % kSub) << shift;
}

std::uint64_t LatencyHistogram::bucket_width(std::size_t b) noexcept {
  if (b < kExactBelow) return 1;
  return 1ULL << (static_cast<int>((b - kExactBelow) / kSub) + 1);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t b = 0; b < kBuckets; ++b) counts_[b] += other.counts_[b];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

void LatencyHistogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  max_ = 0;
  min_ = UINT64_MAX;
}

double LatencyHistogram::percentile_us(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1));
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen <= rank) continue;
    const std::uint64_t mid = bucket_low(b) + (bucket_width(b) - 1) / 2;
    return static_cast<double>(std::clamp(mid, min_ns(), max_)) / 1000.0;
  }
  return static_cast<double>(max_) / 1000.0;
}

}  // namespace sockchurn::bench
