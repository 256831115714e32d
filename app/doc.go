// Package app is the only place that wires concrete types together: it reads
// the configuration, opens storage, builds the Nitrado and RCON clients, the
// six bot sessions and the jobs, runs them in one errgroup and shuts them down
// in reverse order. It also serves /healthz and /metrics and implements the
// command line (serve, check, parse, invite, sandbox, version, example-config).
//
// Imports point one way: main → app → {bots, jobs, storage, arksave}.
package app
