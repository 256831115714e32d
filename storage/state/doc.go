// Package state is Bliss's small key/value store on bbolt: durable cursors
// (so a restart neither loses nor repeats log and chat lines), stale copies
// of cached API data (kept without TTL for when the API is down), and the
// last-run state of scheduled jobs, and the active restart/stop/start
// countdowns (so one survives an appliance restart).
//
// Values are JSON except cursors. bbolt calls are short local I/O that
// cannot be cancelled, so methods take no context. A Store is safe for
// concurrent use; only one process may have the file open at a time.
package state
