// Algo parameters: names, FIX conversion and validation. Every error names
// the FIX tag the bad value came in.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "algos/algo.h"

namespace fixgw::algos {

namespace {

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

AlgoError err(int tag, std::string text) { return AlgoError{tag, std::move(text)}; }

std::string ts(WallNanos t) { return formatFixTimestamp(t); }

bool digits(std::string_view s, size_t pos, size_t n, int64_t& out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

std::optional<int64_t> parseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<Policy> policyFromName(std::string_view s) {
  const std::string u = upper(s);
  if (u == "PAUSE") return Policy::Pause;
  if (u == "RETRY" || u == "RETRYELSEWHERE") return Policy::RetryElsewhere;
  if (u == "FINISH") return Policy::Finish;
  return std::nullopt;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t b = 0;
  while (true) {
    size_t e = s.find(sep, b);
    out.push_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    if (e == std::string_view::npos) break;
    b = e + 1;
  }
  return out;
}

// "0930:5,1000:3" -> buckets; nullopt on malformed text (validate checks order).
std::optional<std::vector<ProfileBucket>> parseProfile(std::string_view s) {
  std::vector<ProfileBucket> v;
  for (std::string_view item : split(s, ',')) {
    const size_t colon = item.find(':');
    if (colon != 4) return std::nullopt;
    int64_t hh = 0, mm = 0;
    if (!digits(item, 0, 2, hh) || !digits(item, 2, 2, mm) || hh > 23 || mm > 59) {
      return std::nullopt;
    }
    auto w = parseInt(item.substr(colon + 1));
    if (!w) return std::nullopt;
    v.push_back(ProfileBucket{static_cast<int32_t>(hh * 60 + mm), *w});
  }
  return v;
}

// Keeps weight x nanoseconds since 1970 well inside 128 bits.
constexpr int64_t kMaxProfileWeight = 1'000'000'000'000;

// FIX 4.4 StrategyParameterType (959) codes the gateway understands.
constexpr int kInt = 1;
constexpr int kFloat = 6;
constexpr int kQty = 7;
constexpr int kPercentage = 11;
constexpr int kString = 14;

const char* typeName(int t) {
  switch (t) {
    case kInt:
      return "Int";
    case kFloat:
      return "float";
    case kQty:
      return "Qty";
    case kPercentage:
      return "Percentage";
    case kString:
      return "String";
  }
  return "other";
}

struct ParamSpec {
  const char* name;
  int type;    // the type the gateway expects
  int alsoOk;  // another type accepted for it (0 = none)
};
constexpr ParamSpec kParamSpecs[] = {
    {"Seed", kInt, 0},
    {"RandomizeSize", kPercentage, kFloat},
    {"RandomizeTime", kPercentage, kFloat},
    {"SliceInterval", kInt, 0},
    {"MinSlice", kQty, kInt},
    {"MaxSlice", kQty, kInt},
    {"MaxAhead", kQty, kInt},
    {"Tolerance", kQty, kInt},
    {"Profile", kString, 0},
    {"Venues", kString, 0},
    {"OnReject", kString, 0},
    {"OnDisconnect", kString, 0},
};

std::optional<AlgoError> applyParameter(const StrategyParameter& p, AlgoParams& out) {
  const ParamSpec* spec = nullptr;
  for (const auto& s : kParamSpecs) {
    if (p.name == s.name) spec = &s;
  }
  if (!spec) {
    std::string known;
    for (const auto& s : kParamSpecs) known += std::string(known.empty() ? "" : ", ") + s.name;
    return err(958, "unknown StrategyParameterName (958) '" + p.name + "' (known: " + known + ")");
  }
  auto type = parseInt(p.type);
  if (!type) {
    return err(
        959, "StrategyParameterType (959) for '" + p.name + "' is '" + p.type + "', not a number");
  }
  if (*type != spec->type && *type != spec->alsoOk) {
    return err(959, "StrategyParameterType (959) for '" + p.name + "' is " + p.type + " (" +
                        typeName(static_cast<int>(*type)) + "), expected " +
                        std::to_string(spec->type) + " (" + typeName(spec->type) + ")");
  }
  auto bad = [&](const char* what) {
    return err(960,
               "StrategyParameterValue (960) for '" + p.name + "' is '" + p.value + "': " + what);
  };
  const std::string name = p.name;
  if (name == "Seed") {
    auto v = parseInt(p.value);
    if (!v) return bad("not an integer");
    out.seed = static_cast<uint64_t>(*v);
  } else if (name == "RandomizeSize" || name == "RandomizeTime") {
    auto v = Ratio::parse(p.value);
    if (!v) return bad("not a decimal");
    (name == "RandomizeSize" ? out.randomizeSize : out.randomizeTime) = *v;
  } else if (name == "SliceInterval") {
    auto v = parseInt(p.value);
    if (!v) return bad("not an integer number of seconds");
    if (*v <= 0 || *v > 86'400) return bad("must be 1..86400 seconds");
    out.sliceIntervalNanos = *v * 1'000'000'000;
  } else if (name == "MinSlice" || name == "MaxSlice" || name == "MaxAhead" ||
             name == "Tolerance") {
    auto v = Qty::parse(p.value);
    if (!v) return bad("not a quantity");
    if (name == "MinSlice") out.minSlice = *v;
    if (name == "MaxSlice") out.maxSlice = *v;
    if (name == "MaxAhead") out.maxAhead = *v;
    if (name == "Tolerance") out.completionTolerance = *v;
  } else if (name == "Profile") {
    auto v = parseProfile(p.value);
    if (!v) return bad("expected HHMM:weight[,HHMM:weight...]");
    out.volumeProfile = std::move(*v);
  } else if (name == "Venues") {
    out.venues.clear();
    for (std::string_view v : split(p.value, ',')) {
      if (v.empty()) return bad("empty venue name");
      out.venues.emplace_back(v);
    }
  } else if (name == "OnReject" || name == "OnDisconnect") {
    auto v = policyFromName(p.value);
    if (!v) return bad("expected pause, retry or finish");
    (name == "OnReject" ? out.onReject : out.onDisconnect) = *v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view toString(Strategy s) {
  switch (s) {
    case Strategy::Twap:
      return "TWAP";
    case Strategy::Vwap:
      return "VWAP";
    case Strategy::Pov:
      return "POV";
    case Strategy::Iceberg:
      return "ICEBERG";
    case Strategy::Sor:
      return "SOR";
  }
  return "?";
}

std::optional<Strategy> strategyFromName(std::string_view name) {
  const std::string u = upper(name);
  if (u == "TWAP") return Strategy::Twap;
  if (u == "VWAP" || u == "1") return Strategy::Vwap;  // 847=1 VWAP
  if (u == "POV" || u == "2") return Strategy::Pov;    // 847=2 Participate
  if (u == "ICEBERG") return Strategy::Iceberg;
  if (u == "SOR") return Strategy::Sor;
  return std::nullopt;
}

std::string_view toString(Policy p) {
  switch (p) {
    case Policy::Pause:
      return "pause";
    case Policy::RetryElsewhere:
      return "retry";
    case Policy::Finish:
      return "finish";
  }
  return "?";
}

std::string_view toString(ParentOutcome o) {
  switch (o) {
    case ParentOutcome::Filled:
      return "FILLED";
    case ParentOutcome::Canceled:
      return "CANCELED";
    case ParentOutcome::Expired:
      return "EXPIRED";
    case ParentOutcome::Stopped:
      return "STOPPED";
  }
  return "?";
}

std::optional<WallNanos> parseFixUtcTimestamp(std::string_view s) { return parseFixTimestamp(s); }

std::optional<AlgoError> AlgoParams::validate(Qty orderQty) const {
  const std::string name(toString(strategy));
  if (!orderQty.isPositive()) {
    return err(38, "OrderQty (38) must be positive for " + name + ", got " + orderQty.str());
  }
  if (start < 0) return err(168, "EffectiveTime (168) is before 1970");
  if (end != 0 && end <= start) {
    return err(126,
               "ExpireTime (126) " + ts(end) + " is not after EffectiveTime (168) " + ts(start));
  }
  if ((strategy == Strategy::Twap || strategy == Strategy::Vwap) && end == 0) {
    return err(126, name + " needs an ExpireTime (126): the end of its schedule");
  }
  if (strategy == Strategy::Pov && !participationRate) {
    return err(849, "POV needs a ParticipationRate (849)");
  }
  if (participationRate &&
      (!participationRate->isPositive() || *participationRate > Ratio::fromInt(1))) {
    return err(849, "ParticipationRate (849) must be over 0 and at most 1 (100%), got " +
                        participationRate->str());
  }
  if (strategy == Strategy::Iceberg && !displayQty) {
    return err(111, "ICEBERG needs a MaxFloor (111): the quantity to show");
  }
  if (displayQty) {
    if (!displayQty->isPositive()) {
      return err(111, "MaxFloor (111) must be positive, got " + displayQty->str());
    }
    if (*displayQty > orderQty) {
      return err(111, "MaxFloor (111) " + displayQty->str() +
                          " is bigger than the order quantity (38) " + orderQty.str());
    }
  }
  if (limit && !limit->isPositive()) {
    return err(44, "Price (44) must be positive, got " + limit->str());
  }
  if (minQty) {
    if (!minQty->isPositive())
      return err(110, "MinQty (110) must be positive, got " + minQty->str());
    if (*minQty > orderQty) {
      return err(110, "MinQty (110) " + minQty->str() + " is bigger than the order quantity (38) " +
                          orderQty.str());
    }
    if (maxSlice && *minQty > *maxSlice) {
      return err(110, "MinQty (110) " + minQty->str() + " is bigger than MaxSlice " +
                          maxSlice->str() + ": no child could be sent");
    }
  }
  auto param = [](const char* p, std::string why) {
    return err(960, "StrategyParameterValue (960) for '" + std::string(p) + "': " + why);
  };
  if (minSlice && !minSlice->isPositive()) {
    return param("MinSlice", "must be positive, got " + minSlice->str());
  }
  if (maxSlice && !maxSlice->isPositive()) {
    return param("MaxSlice", "must be positive, got " + maxSlice->str());
  }
  if (minSlice && maxSlice && *minSlice > *maxSlice) {
    return param("MinSlice", minSlice->str() + " is bigger than MaxSlice " + maxSlice->str());
  }
  if (maxAhead.isNegative()) return param("MaxAhead", "must not be negative");
  if (completionTolerance.isNegative()) return param("Tolerance", "must not be negative");
  if (randomizeSize.isNegative() || randomizeSize > Ratio::of("0.5")) {
    return param("RandomizeSize",
                 "must be 0..0.5 (a share of a slice), got " + randomizeSize.str());
  }
  if (randomizeTime.isNegative() || randomizeTime >= Ratio::fromInt(1)) {
    return param(
        "RandomizeTime",
        "must be 0 up to (not including) 1 (a share of the interval), got " + randomizeTime.str());
  }
  if (sliceIntervalNanos <= 0) return param("SliceInterval", "must be positive");
  if (!volumeProfile.empty()) {
    int64_t sum = 0;
    for (size_t i = 0; i < volumeProfile.size(); ++i) {
      const auto& b = volumeProfile[i];
      if (b.minuteOfDay < 0 || b.minuteOfDay >= 1440) {
        return param("Profile", "minute of day " + std::to_string(b.minuteOfDay) + " out of range");
      }
      if (i > 0 && b.minuteOfDay <= volumeProfile[i - 1].minuteOfDay) {
        return param("Profile", "buckets must be in increasing time order");
      }
      if (b.weight < 0 || b.weight > kMaxProfileWeight) {
        return param("Profile", "weights must be 0.." + std::to_string(kMaxProfileWeight));
      }
      sum += b.weight;
    }
    if (sum <= 0) return param("Profile", "at least one weight must be positive");
  }
  return std::nullopt;
}

ParsedAlgoParams parseAlgoParams(const AlgoFixFields& f, Qty orderQty, WallNanos now) {
  ParsedAlgoParams r;
  auto fail = [&](AlgoError e) {
    r.error = std::move(e);
    return r;
  };
  AlgoParams p;
  if (!f.targetStrategy || f.targetStrategy->empty()) {
    return fail(err(847, "TargetStrategy (847) is required for an algo order"));
  }
  auto s = strategyFromName(*f.targetStrategy);
  if (!s) {
    return fail(err(847, "unknown TargetStrategy (847) '" + *f.targetStrategy +
                             "' (known: TWAP, VWAP or 1, POV or 2, ICEBERG)"));
  }
  p.strategy = *s;
  p.start = now;
  if (f.effectiveTime) {
    auto t = parseFixUtcTimestamp(*f.effectiveTime);
    if (!t) {
      return fail(err(168, "EffectiveTime (168) '" + *f.effectiveTime +
                               "' is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])"));
    }
    p.start = *t;
  }
  if (f.expireTime) {
    auto t = parseFixUtcTimestamp(*f.expireTime);
    if (!t) {
      return fail(err(126, "ExpireTime (126) '" + *f.expireTime +
                               "' is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])"));
    }
    p.end = *t;
  }
  if (f.participationRate) {
    auto v = Ratio::parse(*f.participationRate);
    if (!v) {
      return fail(err(849, "ParticipationRate (849) '" + *f.participationRate +
                               "' is not a decimal (0.1 = 10%)"));
    }
    p.participationRate = *v;
  }
  if (f.maxFloor) {
    auto v = Qty::parse(*f.maxFloor);
    if (!v) return fail(err(111, "MaxFloor (111) '" + *f.maxFloor + "' is not a quantity"));
    p.displayQty = *v;
  }
  if (f.price) {
    auto v = Price::parse(*f.price);
    if (!v) return fail(err(44, "Price (44) '" + *f.price + "' is not a price"));
    p.limit = *v;
  }
  if (f.minQty) {
    auto v = Qty::parse(*f.minQty);
    if (!v) return fail(err(110, "MinQty (110) '" + *f.minQty + "' is not a quantity"));
    p.minQty = *v;
  }
  if (f.noStrategyParameters &&
      *f.noStrategyParameters != static_cast<int>(f.strategyParameters.size())) {
    return fail(err(957, "NoStrategyParameters (957) says " +
                             std::to_string(*f.noStrategyParameters) + " but " +
                             std::to_string(f.strategyParameters.size()) + " entries came"));
  }
  for (const auto& sp : f.strategyParameters) {
    if (auto e = applyParameter(sp, p)) return fail(std::move(*e));
  }
  if (auto e = p.validate(orderQty)) return fail(std::move(*e));
  r.params = std::move(p);
  return r;
}

}  // namespace fixgw::algos
