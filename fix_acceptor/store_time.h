// QuickFIX timestamps <-> microseconds since 1970-01-01 UTC, as the FIX session stores keep a
// session's creation time (PgMessageStore in a bigint column, AppendFileStore in its file).
// Includes QuickFIX: for fix_acceptor's own .cpp files only.
#pragma once

#include <quickfix/FieldTypes.h>

#include <cstdint>
#include <ctime>

namespace fixgw::fix {

inline int64_t toMicros(const FIX::UtcTimeStamp& t) {
  return static_cast<int64_t>(t.getTimeT()) * 1'000'000 +
         static_cast<int64_t>(t.getNanosecond() / 1000);
}

inline FIX::UtcTimeStamp fromMicros(int64_t us) {
  int64_t secs = us / 1'000'000;
  int64_t frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  return FIX::UtcTimeStamp(static_cast<time_t>(secs), static_cast<int>(frac), 6);
}

}  // namespace fixgw::fix
