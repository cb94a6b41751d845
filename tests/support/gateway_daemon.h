// The fixgw daemon as a child process, for tests that kill it (SIGKILL) and
// start it again on the same database: apps/fixgw run --config FILE, with
// FIXGW_DB pointing at the test's schema and its output in a log file. And
// the shipped config/fixgw.json rewritten for such a run (port, store path,
// spec and schema directories, extra instruments and venues, default venue).
//
// Header-only: a test target that uses it defines FIXGW_BINARY (the path of
// apps/fixgw) and depends on the fixgw target.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace fixgw::testing {

inline std::string sourceDirOrDot() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : ".";
}

inline std::string readWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Replaces the first `from` in s; throws if it is not there (the shipped config changed).
inline void replaceFirst(std::string& s, const std::string& from, const std::string& to) {
  const size_t p = s.find(from);
  if (p == std::string::npos) throw std::runtime_error("config text not found: " + from);
  s.replace(p, from.size(), to);
}

inline bool tcpListening(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// config/fixgw.json for a daemon on `port` with its FIX store under `dir`, plus instruments
// (JSON objects, each followed by a comma) and one venue (a JSON object) as the default venue.
inline std::string daemonConfig(int port, const std::string& dir, const std::string& instruments,
                                const std::string& venue, const std::string& defaultVenue) {
  const std::string src = sourceDirOrDot();
  std::string cfg = readWholeFile(src + "/config/fixgw.json");
  replaceFirst(cfg, "\"port\": 9878", "\"port\": " + std::to_string(port));
  replaceFirst(cfg, "\"store_path\": \"../var/fix/store\"",
               "\"store_path\": \"" + dir + "/fixstore\"");
  replaceFirst(cfg, "\"../fix_acceptor/spec\"", "\"" + src + "/fix_acceptor/spec\"");
  replaceFirst(cfg, "\"../schema\"", "\"" + src + "/schema\"");
  replaceFirst(cfg, "\"instruments\": [", "\"instruments\": [\n    " + instruments);
  replaceFirst(cfg, "  \"venues\": [", "  \"venues\": [\n    " + venue + ",");
  replaceFirst(cfg, "\"default_venue\": \"SIM\"", "\"default_venue\": \"" + defaultVenue + "\"");
  return cfg;
}

class GatewayDaemon {
 public:
  GatewayDaemon(std::string config, std::string conninfo, std::string log)
      : config_(std::move(config)), db_(std::move(conninfo)), log_(std::move(log)) {}
  ~GatewayDaemon() { kill(SIGKILL); }
  GatewayDaemon(const GatewayDaemon&) = delete;
  GatewayDaemon& operator=(const GatewayDaemon&) = delete;

  // Starts the daemon and waits (up to 30 s) until its FIX port accepts connections.
  bool start(int port) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::setenv("FIXGW_DB", db_.c_str(), 1);
      ::execl(FIXGW_BINARY, FIXGW_BINARY, "run", "--config", config_.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 300 && !tcpListening(port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return tcpListening(port);
  }
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string log() const { return readWholeFile(log_); }

 private:
  std::string config_, db_, log_;
  pid_t pid_ = -1;
};

}  // namespace fixgw::testing
