// The transport a socket, a strategy or a kernel counter belongs to. In net/
// (the lowest layer) so that the kernel's observers and the model both name
// it without the one including the other.
#pragma once

#include <string_view>

namespace sockchurn {

enum class Protocol { tcp, udp };

constexpr std::string_view to_string(Protocol p) { return p == Protocol::tcp ? "tcp" : "udp"; }

}  // namespace sockchurn
