// fixgw-passwd: makes a credentials line for FIX logon authentication
// (docs/fix-transport.md). The password is read from standard input — never
// from the command line, where other users could see it in the process list
// — without echo when it is a terminal; the line goes to standard output:
//
//   fixgw-passwd [--iterations N] USER >> /etc/fixgw/fix-users
//
// Single-threaded command-line tool.
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "fix_acceptor/logon_auth.h"

namespace {

int usage() {
  std::cerr << "usage: fixgw-passwd [--iterations N] USER   (password on standard input)\n";
  return 2;
}

std::string readPassword() {
  const bool tty = ::isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::cerr << "password: " << std::flush;
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string pw;
  std::getline(std::cin, pw);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  return pw;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 210'000;
  std::string user;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::atoi(argv[++i]);
    } else if (a == "-h" || a == "--help") {
      return usage();
    } else if (user.empty() && !a.empty() && a[0] != '-') {
      user = a;
    } else {
      return usage();
    }
  }
  if (user.empty()) return usage();
  const std::string pw = readPassword();
  if (pw.empty()) {
    std::cerr << "fixgw-passwd: empty password refused\n";
    return 1;
  }
  try {
    std::cout << fixgw::fix::makeCredentialLine(user, pw, iterations) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "fixgw-passwd: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
