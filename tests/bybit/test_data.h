// Reads venue_adapters/bybit/test_data/<name> (FIXGW_SOURCE_DIR is set by ctest).
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

inline std::string bybitTestData(const std::string& name) {
  const char* root = std::getenv("FIXGW_SOURCE_DIR");
  std::string path = std::string(root ? root : ".") + "/venue_adapters/bybit/test_data/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
