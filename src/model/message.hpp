// The message of one cycle: the first bytes carry the cycle's sequence
// number so that an old echo is told apart from the current one.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace sockchurn {

class Message {
 public:
  explicit Message(std::size_t size) : out_(size), in_(size + 1) {
    for (std::size_t i = 0; i < size; ++i) out_[i] = static_cast<unsigned char>(i * 31 + 7);
  }
  void next() {
    ++seq_;
    std::memcpy(out_.data(), &seq_, tag_size());
  }
  const unsigned char* data() const { return out_.data(); }
  std::size_t size() const { return out_.size(); }
  unsigned char* in() { return in_.data(); }
  std::size_t in_capacity() const { return in_.size(); }
  bool echoed(std::size_t n) const { return n == size() && std::memcmp(in_.data(), out_.data(), n) == 0; }
  // An intact copy of an earlier cycle's message.
  bool earlier(std::size_t n) const {
    const std::size_t tag = tag_size();
    if (n != size() || std::memcmp(in_.data() + tag, out_.data() + tag, n - tag) != 0) return false;
    std::uint64_t seq = 0;
    std::memcpy(&seq, in_.data(), tag);
    const std::uint64_t mask = tag >= 8 ? ~0ull : (1ull << (8 * tag)) - 1;
    return seq != (seq_ & mask);
  }

 private:
  std::size_t tag_size() const { return std::min<std::size_t>(8, out_.size()); }
  std::vector<unsigned char> out_;
  std::vector<unsigned char> in_;
  std::uint64_t seq_ = 0;
};

}  // namespace sockchurn
