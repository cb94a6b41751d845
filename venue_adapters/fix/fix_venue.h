// A generic FIX 4.2 / 4.4 initiator venue: sends child orders to a broker as
// NewOrderSingle / OrderCancelRequest / OrderCancelReplaceRequest and maps the
// broker's ExecutionReports and OrderCancelRejects back to VenueEvents. What
// differs between brokers (CompIDs, fixed tags such as IBKR CTCI's Account /
// HandlInst / ExDestination / 6207, ClOrdID shape, which ExecType means a
// fill) is a per-venue profile in config (fix_profile.h, docs/fix_venue.md).
//
// Fills are booked once per ExecID: a report resent after a sequence gap
// (PossDupFlag=Y) or sent twice is dropped. Missed reports after a
// disconnect come back through QuickFIX's ResendRequest on logon, so keep
// reset_on_logon=false and a store_path for sessions that must survive a
// restart of either side.
//
// QuickFIX stays behind the pImpl: this header is safe for any module.
// Thread-safety: submit/cancel/replace/requestSnapshot/start/stop are safe
// from any thread; requests are sent from the adapter's own thread. Events
// reach the sink on the QuickFIX session thread, or on the caller's thread
// for requests refused at once (session not logged on).
#pragma once

#include <memory>

#include "core/clock.h"
#include "core/instrument.h"
#include "core/venue.h"
#include "venue_adapters/fix/fix_profile.h"
#include "venue_adapters/registry.h"

namespace fixgw::fixvenue {

// The registry factory ("type": "fix"): reads the params (fix_profile.h).
std::unique_ptr<VenueAdapter> makeFixVenue(const venues::VenueContext& ctx,
                                           venues::ParamReader& params);

class FixVenue final : public VenueAdapter {
 public:
  // instruments is copied; clock must outlive the adapter. Throws
  // std::invalid_argument on a bad config.
  FixVenue(VenueId id, FixVenueConfig cfg, const InstrumentMaster& instruments, const Clock& clock);
  ~FixVenue() override;
  FixVenue(const FixVenue&) = delete;
  FixVenue& operator=(const FixVenue&) = delete;

  const VenueId& id() const override;
  // Creates the QuickFIX session and starts connecting (QuickFIX reconnects
  // every reconnect_interval_s). Throws std::runtime_error on bad settings.
  void start(VenueEventSink& sink) override;
  // Logs out and joins the session thread. Order and ExecID state is kept,
  // so start() again continues where the session left off.
  void stop() override;
  // While the session is not logged on these are refused at once with
  // Rejected / CancelRejected / ReplaceRejected naming the venue.
  void submit(const VenueNewOrder& o) override;
  void cancel(const VenueCancel& c) override;
  void replace(const VenueReplace& r) override;
  // Sends OrderStatusRequest (35=H) for every order the adapter knows as open
  // and answers once all replies arrived or snapshot_timeout_ms passed
  // (ok=false then, naming the orders without an answer). Fills are those
  // the session reported (ExecID-unique) at or after `since`. Asked before
  // the session logged on (start-up reconciliation), the requests go out at
  // logon; no logon within snapshot_timeout_ms answers ok=false. A stopped
  // adapter answers ok=false at once.
  void requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) override;
  // Takes over orders a previous process sent (the engine's journal lists
  // them at start-up). Their live ClOrdID on the wire is not known until the
  // broker reports on them, so until then they are found by OrderID (37),
  // which goes on every status request, cancel and replace for them; new
  // ClOrdIDs for them are numbered from the restart time, never re-using one
  // the previous process may have sent.
  void adoptOpenOrders(const std::vector<VenueOrderState>& orders) override;

  bool isLoggedOn() const;
  const FixVenueConfig& config() const;
  // "FIX.4.2:SENDER->TARGET", the QuickFIX session this adapter owns.
  std::string sessionKey() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fixgw::fixvenue
