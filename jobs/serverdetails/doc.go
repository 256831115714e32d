// Package serverdetails keeps Nitrado server details (name, map, address,
// RCON port and password, status, game path, player counts) warm for the
// rest of Bliss, and tells listeners when Nitrado becomes unreachable.
//
// Layers, fastest first:
//
//   - an in-memory TTL cache (Options.NewMem; app wires storage/cache over
//     ristretto, TTL default 5 min). Ristretto may drop any Set, so a miss
//     just falls through;
//   - the last good copy per server, in memory and persisted in the stale
//     store (Options.Stale; app wires bbolt's storage/state, kind
//     StaleKind) without TTL, so a restart during an outage still serves
//     last-known data;
//   - Nitrado itself (GET /services/{id}/gameservers).
//
// Refresh: when an entry expires the TTL cache's callback queues a refresh
// for Run's worker (the callback never blocks). Ristretto's TTL sweep is
// coarse (5-second buckets), it drops notifications when the callback falls
// behind, and an entry whose Set was dropped never expires at all, so Run
// also runs its own ticker (Options.RefreshInterval, default TTL) that
// refreshes every tracked server whose copy is at least 90% of TTL old.
// Either path refreshes an entry at most once per TTL.
//
// Outage: a refresh is retried RetryMax times with exponential backoff.
// When the last attempt fails the cache keeps its stale copies, becomes
// degraded (Health, Metrics), tells the OnHealthChange listeners (the
// save-parse scheduler pauses) and polls GET /ping every PingInterval. On
// the first good ping every tracked server is refreshed; when that works the
// cache is ok again and listeners are told (parsing resumes). While degraded
// Get answers from the last known copy at once (Details.Stale, SavedAt).
//
// Retries are layered: the nitrado client retries transient failures itself
// (honouring Retry-After); the cache's retries are the coarse outer layer
// that decides "Nitrado is down". One cache attempt is one client call,
// bounded by FetchTimeout.
//
// It is a background refresh loop with a degraded mode, so it lives under
// jobs and, like every job, reaches storage only through the interfaces it
// declares (StaleStore, MemCache). Wiring in app (app/serverdetails.go
// adapts the bbolt store and the ristretto cache):
//
//	sd, err := serverdetails.New(serverdetails.Options{Source: nitradoClient, Stale: staleStore{st}, NewMem: newDetailsMem, Logger: log})
//	sd.OnHealthChange(func(ok bool, _ string) { scheduler.OnHealthChange(ok) })
//	stored, err := sd.Preload()                                       // last-known copies from bbolt
//	for _, id := range configuredServiceIDs { err = sd.Track(id) }    // keep warm
//	// optionally: sd.Forget(id) for stored ids no longer configured
//	g.Go(func() error { return sd.Run(ctx) })
//	d, err := sd.Get(ctx, id) // d.RCONAddr(), d.RCONPassword.Reveal(), d.Stale
//	state, reason, since := sd.Health() // /healthz
//	m := sd.Metrics()                   // /metrics
//
// No log record or error of this package contains the Nitrado token or an
// RCON password: Details redacts the password in fmt and slog, and errors
// come from the nitrado client, which strips the token.
package serverdetails
