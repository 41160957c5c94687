#include "http_forward.hpp"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "net/fd.hpp"

namespace sockchurn::proxy {

namespace {

using boost::system::error_code;
namespace beast = boost::beast;

bool is_http_error(const error_code& ec) { return ec.category() == make_error_code(http::error::need_more).category(); }

// Hop-by-hop fields (RFC 9110 7.6.1) and those the Connection field names.
template <bool isRequest>
void drop_hop_by_hop(http::header<isRequest>& h) {
  std::vector<std::string> named;
  for (const auto& token : http::token_list(h[http::field::connection])) named.emplace_back(token.data(), token.size());
  for (const std::string& name : named) h.erase(name);
  static constexpr std::array kHop = {http::field::connection, http::field::keep_alive,
                                      http::field::proxy_connection, http::field::te,
                                      http::field::trailer,    http::field::upgrade,
                                      http::field::transfer_encoding};
  for (const http::field f : kHop) h.erase(f);
}

template <bool isRequest>
Verdict parse(std::string_view bytes, const Limits& limits, bool head, http::message<isRequest, http::string_body>* out) {
  http::parser<isRequest, http::string_body> parser;
  configure(parser, limits);
  if constexpr (!isRequest) parser.skip(head);
  parser.eager(true);
  Verdict v;
  bool header_checked = false;
  while (true) {
    error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data() + v.consumed, bytes.size() - v.consumed), ec);
    v.consumed += used;
    if (ec == http::error::need_more) {
      if (v.consumed < bytes.size() && used > 0) continue;
      return v;  // the buffer ended first
    }
    if (ec) {
      if constexpr (isRequest)
        v.refusal = refusal_for_request_error(ec);
      else
        v.refusal = refusal_for_response_error(ec);
      return v;
    }
    if (parser.is_header_done() && !header_checked) {
      header_checked = true;
      if constexpr (isRequest)
        v.refusal = check_request_header(parser);
      else
        v.refusal = check_response_header(parser);
      if (v.refusal) return v;
    }
    if (parser.is_done()) {
      v.complete = true;
      if (out) *out = parser.release();
      return v;
    }
    if (v.consumed == bytes.size()) return v;
  }
}

}  // namespace

void configure(RequestParser& parser, const Limits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header));
  parser.body_limit(limits.max_body);
}

void configure(ResponseParser& parser, const Limits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header));
  parser.body_limit(limits.max_body);
}

std::optional<Refusal> refusal_for_request_error(const error_code& ec) {
  if (!is_http_error(ec)) return std::nullopt;  // the stream's end, a reset, the timeout
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec == http::error::header_limit) return Refusal{http::status::request_header_fields_too_large, "request header too large"};
  if (ec == http::error::body_limit) return Refusal{http::status::payload_too_large, "request body too large"};
  if (ec == http::error::bad_transfer_encoding || ec == http::error::bad_chunk ||
      ec == http::error::bad_chunk_extension)
    return Refusal{http::status::not_implemented, "transfer encodings are not supported"};
  return Refusal{http::status::bad_request, "malformed request: " + ec.message()};
}

Refusal refusal_for_response_error(const error_code& ec) {
  if (ec == beast::error::timeout) return {http::status::gateway_timeout, "backend timed out"};
  if (ec == http::error::end_of_stream || ec == http::error::partial_message)
    return {http::status::bad_gateway, "backend closed before a whole response"};
  if (ec == http::error::header_limit) return {http::status::bad_gateway, "backend response header too large"};
  if (ec == http::error::body_limit) return {http::status::bad_gateway, "backend response body too large"};
  if (is_http_error(ec)) return {http::status::bad_gateway, "malformed backend response: " + ec.message()};
  return {http::status::bad_gateway, "backend connection failed: " + describe(ec)};
}

std::string describe(const error_code& ec) {
  if (ec.category() == boost::system::system_category() || ec.category() == boost::system::generic_category())
    return errno_name(ec.value()) + " (" + ec.message() + ")";
  return ec.message();
}

std::optional<Refusal> check_request_header(const RequestParser& parser) {
  const auto& h = parser.get();
  if (h.count(http::field::transfer_encoding) != 0)
    return Refusal{http::status::not_implemented, "transfer encodings (chunked) are not supported"};
  if (h.count(http::field::upgrade) != 0) return Refusal{http::status::not_implemented, "upgrades are not supported"};
  if (h.method() == http::verb::connect) return Refusal{http::status::not_implemented, "CONNECT is not supported"};
  return std::nullopt;
}

std::optional<Refusal> check_response_header(const ResponseParser& parser) {
  const auto& h = parser.get();
  if (h.count(http::field::transfer_encoding) != 0)
    return Refusal{http::status::bad_gateway, "backend response with a transfer encoding (chunked) is not supported"};
  if (parser.need_eof() && !parser.is_done())
    return Refusal{http::status::bad_gateway, "backend response without Content-Length is not supported"};
  return std::nullopt;
}

Request forward_request(Request&& in) {
  Request out = std::move(in);
  drop_hop_by_hop(out.base());
  out.version(11);
  if (!out.body().empty() || out.count(http::field::content_length) != 0) out.content_length(out.body().size());
  return out;
}

Response forward_response(Response&& in, unsigned version, bool keep_alive, bool head) {
  Response out = std::move(in);
  drop_hop_by_hop(out.base());
  out.version(version);
  if (!head) out.content_length(out.body().size());
  out.keep_alive(keep_alive);
  return out;
}

Response error_response(const Refusal& refusal, unsigned version, bool keep_alive) {
  Response out{refusal.status, version};
  out.set(http::field::content_type, "text/plain");
  out.set(http::field::server, "sockchurn-proxy");
  out.body() = refusal.reason + "\n";
  out.prepare_payload();
  out.keep_alive(keep_alive);
  return out;
}

Verdict parse_request(std::string_view bytes, const Limits& limits, Request* out) {
  return parse<true>(bytes, limits, false, out);
}

Verdict parse_response(std::string_view bytes, const Limits& limits, bool head, Response* out) {
  return parse<false>(bytes, limits, head, out);
}

}  // namespace sockchurn::proxy
