// sockchurn-proxy's request parser and backend-response handling
// (proxy/http_forward.cpp) on arbitrary bytes, with small limits (header 512
// bytes, body 4096) so short inputs reach them. The first byte chooses: bit 0
// a backend response (else a client request), bit 1 the response to a HEAD
// request; the rest is the message.
//  - A verdict is never both complete and refused, and never consumes more
//    than the input.
//  - A complete request is forwarded (forward_request): the forwarded request,
//    serialized, parses back complete, whole, with the same method, target
//    and body, HTTP/1.1, and without hop-by-hop fields.
//  - A complete response is forwarded (forward_response) for a keep-alive
//    HTTP/1.1 client: serialized, it parses back complete with the same
//    status and body and no Transfer-Encoding.
//  - A refused request is 400, 413, 431 or 501; a refused response is 502.
//    The proxy's own answer for it (error_response) parses back with that
//    status.
// A crash or a sanitizer report is a finding; nothing here may throw.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/beast/http/write.hpp>

#include "check.hpp"
#include "http_forward.hpp"

namespace {

using namespace sockchurn::proxy;
using sockchurn::fuzz::escaped;
using sockchurn::fuzz::require;

constexpr Limits kLimits{512, 4096};

template <class Message>
std::string serialized(const Message& m) {
  std::ostringstream out;
  out << m;
  return out.str();
}

void forwarded_request(Request req, std::string_view input) {
  const http::verb method = req.method();
  const std::string target(req.target());
  const std::string body = req.body();
  const Request out = forward_request(std::move(req));
  const std::string wire = serialized(out);
  Request back;
  // The forwarded header may be larger than the limit (Content-Length added).
  const Verdict v = parse_request(wire, Limits{1 << 20, 1 << 20}, &back);
  require(v.complete && v.consumed == wire.size(),
          "forwarded request does not parse back whole: " + escaped(wire) + " from " + escaped(input));
  require(back.method() == method && back.target() == target && back.body() == body && back.version() == 11,
          "forwarded request changed: " + escaped(wire));
  for (const auto f : {http::field::connection, http::field::keep_alive, http::field::transfer_encoding,
                       http::field::upgrade, http::field::te, http::field::trailer, http::field::proxy_connection})
    require(back.count(f) == 0, "forwarded request keeps a hop-by-hop field: " + escaped(wire));
}

void forwarded_response(Response res, bool head, std::string_view input) {
  const unsigned status = res.result_int();
  const std::string body = res.body();
  const Response out = forward_response(std::move(res), 11, true, head);
  const std::string wire = serialized(out);
  Response back;
  const Verdict v = parse_response(wire, Limits{1 << 20, 1 << 20}, head, &back);
  require(v.complete, "forwarded response does not parse back: " + escaped(wire) + " from " + escaped(input));
  require(back.result_int() == status && back.body() == body, "forwarded response changed: " + escaped(wire));
  require(back.count(http::field::transfer_encoding) == 0, "forwarded response keeps Transfer-Encoding");
}

void answer_parses(const Refusal& r) {
  const std::string wire = serialized(error_response(r, 11, false));
  Response back;
  require(parse_response(wire, Limits{1 << 20, 1 << 20}, false, &back).complete && back.result() == r.status,
          "the proxy's own answer does not parse back: " + escaped(wire));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool response = (data[0] & 1) != 0;
  const bool head = (data[0] & 2) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (response) {
    Response res;
    const Verdict v = parse_response(input, kLimits, head, &res);
    require(!(v.complete && v.refusal) && v.consumed <= input.size(), "inconsistent verdict on " + escaped(input));
    if (v.refusal) {
      require(v.refusal->status == http::status::bad_gateway, "a refused response is not 502: " + escaped(input));
      answer_parses(*v.refusal);
    }
    if (v.complete) forwarded_response(std::move(res), head, input);
  } else {
    Request req;
    const Verdict v = parse_request(input, kLimits, &req);
    require(!(v.complete && v.refusal) && v.consumed <= input.size(), "inconsistent verdict on " + escaped(input));
    if (v.refusal) {
      const auto s = v.refusal->status;
      require(s == http::status::bad_request || s == http::status::payload_too_large ||
                  s == http::status::request_header_fields_too_large || s == http::status::not_implemented,
              "a refused request gets " + std::to_string(static_cast<unsigned>(s)) + ": " + escaped(input));
      answer_parses(*v.refusal);
    }
    if (v.complete) forwarded_request(std::move(req), input);
  }
  return 0;
}
