// What sockchurn-proxy forwards and what it refuses, apart from any socket:
// the limits its HTTP/1.1 parsers run with, the checks of a request's and a
// backend response's header, the hop-by-hop headers it drops, and the error
// responses it answers with. The server (proxy_server.cpp) reads with Beast's
// parsers configured here; parse_request() and parse_response() run the same
// parsers and checks over a buffer (fuzz/fuzz_proxy.cpp, the tests).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

namespace sockchurn::proxy {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using RequestParser = http::request_parser<http::string_body>;
using ResponseParser = http::response_parser<http::string_body>;

struct Limits {
  std::size_t max_header = 8192;       // request line or status line and fields, bytes
  std::size_t max_body = 1024 * 1024;  // Content-Length body, bytes
};

// Why the proxy answers a request itself: the status and one line.
struct Refusal {
  http::status status;
  std::string reason;
};

// Header and body limits on a fresh parser (a request's or a response's).
void configure(RequestParser& parser, const Limits& limits);
void configure(ResponseParser& parser, const Limits& limits);

// What a failed read of a client's request means: 431 (header over the
// limit), 413 (body over the limit), 400 (not HTTP/1.x); nullopt for the
// stream's own end (EOF, reset, timeout, cancellation): no answer, close.
std::optional<Refusal> refusal_for_request_error(const boost::system::error_code& ec);

// A parsed request header the proxy does not forward: a Transfer-Encoding
// (chunked or any other) or an Upgrade -> 501, CONNECT -> 501, HTTP/1.0 is
// accepted. nullopt: forward it.
std::optional<Refusal> check_request_header(const RequestParser& parser);

// What a failed read of a backend's response means for the client: 504 for
// the backend timeout (Beast's timeout), 502 for everything else (closed
// before a whole response, reset, malformed, over a limit).
Refusal refusal_for_response_error(const boost::system::error_code& ec);

// "ECONNREFUSED (Connection refused)" for a system error, Beast's message
// for the others.
std::string describe(const boost::system::error_code& ec);

// A backend response header the proxy does not forward (-> 502): chunked or
// another Transfer-Encoding, or a body delimited only by the connection's end
// (no Content-Length).
std::optional<Refusal> check_response_header(const ResponseParser& parser);

// The request as sent to the backend: HTTP/1.1, hop-by-hop fields dropped
// (Connection and the fields it names, Keep-Alive, Proxy-Connection, TE,
// Trailer, Upgrade), Content-Length set from the body when there is one.
Request forward_request(Request&& in);
// The backend's response as sent to the client, hop-by-hop fields dropped,
// with the client connection's keep-alive. A HEAD response keeps the
// backend's Content-Length.
Response forward_response(Response&& in, unsigned version, bool keep_alive, bool head);
// The proxy's own answer: the status, "<reason>\n" as a text/plain body.
Response error_response(const Refusal& refusal, unsigned version, bool keep_alive);

// The parsers and checks above over a whole buffer, as the server applies
// them to a stream. `complete`: a whole message was parsed (then `consumed`
// bytes make it); otherwise `refusal` says why not, or the buffer ended first.
struct Verdict {
  bool complete = false;
  std::optional<Refusal> refusal;
  std::size_t consumed = 0;
};
Verdict parse_request(std::string_view bytes, const Limits& limits, Request* out = nullptr);
// For the reply to a HEAD request (`head`: no body follows the header).
Verdict parse_response(std::string_view bytes, const Limits& limits, bool head, Response* out = nullptr);

}  // namespace sockchurn::proxy
