// Venue adapters are created by type name from config through one registry:
// a duplicate type or venue name fails at start-up, an unknown type is a
// config error that names the key.
//
// Thread-safety: used at start-up only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/executor.h"
#include "core/instrument.h"
#include "core/venue.h"

namespace fixgw::venues {

// Flat venue parameters from config ("latency_us" -> "250"); a factory reads
// what it knows through ParamReader, which turns leftovers into errors.
using VenueParams = std::map<std::string, std::string>;

class ParamReader {
 public:
  ParamReader(const VenueParams& p, std::string path) : p_(p), path_(std::move(path)) {}
  // Each getter marks the key as used; throws std::invalid_argument naming
  // "<path>.<key>" on a malformed value.
  std::optional<std::string> str(const std::string& key);
  int64_t integer(const std::string& key, int64_t dflt);
  double number(const std::string& key, double dflt);
  bool boolean(const std::string& key, bool dflt);
  // Throws naming the first key nobody asked for.
  void finish() const;

 private:
  const VenueParams& p_;
  std::string path_;
  std::map<std::string, bool> used_;
};

struct VenueContext {
  VenueId id;
  const InstrumentMaster& instruments;
  const Clock& clock;
  std::string configPath;  // e.g. "venues[0]" for error messages
  // The gateway's PostgreSQL (libpq conninfo), for adapters that keep state
  // there (e.g. order-id high-water marks). Empty when there is none.
  std::string databaseConninfo;
  // The engine's event loop, for in-process venues that may run on it.
  EventLoop* engineLoop = nullptr;
};

using VenueFactory =
    std::function<std::unique_ptr<VenueAdapter>(const VenueContext&, ParamReader&)>;

class VenueRegistry {
 public:
  // Throws std::logic_error on a duplicate type.
  void registerType(const std::string& type, VenueFactory f);
  // Throws std::invalid_argument naming configPath on an unknown type or bad params.
  std::unique_ptr<VenueAdapter> create(const std::string& type, const VenueContext& ctx,
                                       const VenueParams& params) const;
  bool has(const std::string& type) const { return factories_.count(type) > 0; }

 private:
  std::map<std::string, VenueFactory> factories_;
};

}  // namespace fixgw::venues
