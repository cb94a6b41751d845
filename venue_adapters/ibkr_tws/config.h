// Configuration of the TWS API venue: connection parameters read from the
// venue's config params, and the per-instrument contract spec read from
// Instrument::venueSymbols[<venue name>].
//
// Contract spec format (colon-separated, positional; empty fields allowed):
//   STK:<symbol>:<exchange>:<primaryExchange>:<currency>
//   CASH:<base>:<exchange>::<quote currency>            e.g. CASH:EUR:IDEALPRO::USD
//   FUT:<symbol>:<exchange>:<primary>:<currency>:<yyyymm[dd]>[:<multiplier>[:<localSymbol>]]
//   OPT:<symbol>:<exchange>:<primary>:<currency>:<yyyymmdd>:<strike>:<C|P>[:<multiplier>]
//   conid:<conId>[:<exchange>]                          exchange defaults to SMART
// An instrument without an entry trades as STK:<instrument symbol>:SMART::<currency>.
//
// Thread-safety: value types; parsing functions are pure.
#pragma once

#include <cstdint>
#include <string>

#include "core/instrument.h"
#include "venue_adapters/ibkr_tws/codec.h"
#include "venue_adapters/ibkr_tws/messages.h"
#include "venue_adapters/registry.h"

namespace fixgw::tws {

struct TwsConfig {
  std::string host = "127.0.0.1";
  int port = 7497;
  int64_t clientId = 0;
  std::string account;  // sent on every order when not empty
  double pacingMsgsPerSec = 50.0;
  std::string orderIdFile;            // high-water mark of order ids in a file
  std::string orderIdStore = "auto";  // auto (file if named, else postgres), file, postgres, memory
  int64_t reconnectMinMs = 500;
  int64_t reconnectMaxMs = 30'000;
  int64_t heartbeatSec = 30;  // idle time before reqCurrentTime; read timeout is twice this
  int64_t connectTimeoutMs = 5'000;
  bool outsideRth = false;
  // A fill is held until its commissionReport (which TWS sends right after
  // execDetails) so it is booked with its fee; after this long it is booked
  // without one. 0: never wait (fills go at once, commissions only logged).
  int64_t commissionWaitMs = 1'000;
  // Version range advertised at the handshake (within the codec's range).
  int minVersion = kMinClientVersion;
  int maxVersion = kMaxClientVersion;
};

// Reads the params listed in docs/ibkr_tws.md; throws std::invalid_argument
// naming "<path>.<key>" on a bad value.
TwsConfig readTwsConfig(venues::ParamReader& p, const std::string& path);

// Parses a contract spec (format above). Errors name the part that is wrong.
Result<Contract> parseContractSpec(std::string_view spec);
// The contract for an instrument on venue `venueName`.
Result<Contract> contractFor(const Instrument& inst, const std::string& venueName);

}  // namespace fixgw::tws
