// A tiny HTTP/1.1 client for the admin API tests: plain POSIX sockets, so a
// test can also send bytes no HTTP library would (malformed requests, a
// header trickled one byte at a time).
//
// Thread-safety: none; one client per thread.
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace fixgw::testing {

struct HttpReply {
  int status = 0;                              // 0: no answer (connection closed or timed out)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Sends raw bytes to 127.0.0.1:port and reads one HTTP response (or until
// the peer closes / timeout). Never throws.
HttpReply rawHttp(int port, const std::string& bytes,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));

// method path with an optional bearer token and JSON body.
HttpReply http(int port, const std::string& method, const std::string& path,
               const std::string& token = {}, const std::string& body = {});

// Opens a connection and returns its fd (for slow clients); -1 on failure.
int connectLoopback(int port);

}  // namespace fixgw::testing
