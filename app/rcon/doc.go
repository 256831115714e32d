// Package rcon talks to ARK: Survival Ascended servers over RCON.
//
// It provides a per-server Client (dial on demand, one command at a time), a
// Pool of clients keyed by server id, builders for the commands the bot sends
// (with input sanitising and EOS id validation) and parsers for ListPlayers,
// GetChat and GetGameLog replies. Protocol notes: shared/docs/nitrado-rcon-logs.md §2–§4.
//
// # Why the client owns the socket instead of using gorcon's *rcon.Conn
//
// github.com/gorcon/rcon v1.3.5 is used for the wire format (rcon.Packet,
// NewPacket/WriteTo/ReadFrom, the SERVERDATA_* constants, MaxCommandLen), but
// its *rcon.Conn is not, because in v1.3.5:
//
//   - Packet.ReadFrom allocates whatever size the server declares (up to
//     2 GiB) before reading, and auth does the same; we must cap replies;
//   - Dial cannot take a context or a custom net.Conn (Open arrived in v1.4.0)
//     and the deadline is fixed per Conn, so ctx cancellation and a
//     per-command deadline cannot be expressed;
//   - every request uses packet id 0, so a late or extra packet is read as the
//     answer to the next command.
//
// # Stray packets (design choice)
//
// Requests keep gorcon's id 0, the id ARK is known to mirror (whether ASA
// mirrors other ids is unverified). Each connection has one owned reader
// goroutine that decodes packets (size-capped) into a small channel. Then:
//
//  1. Drain: before a command is written, every packet already received is
//     discarded (and logged at debug level); a connection found dead here is
//     replaced before anything is sent, so an idle drop costs no command.
//  2. Validate: while waiting for the reply, bare "Keep Alive" bodies,
//     packets of another type and packets with another id are skipped (at
//     most maxStrays); the first RESPONSE_VALUE with id 0 is the answer.
//  3. Reconnect on any error: timeout, cancellation, EOF, garbage, oversize
//     or too many strays closes the connection, so a late reply can never be
//     read as the next answer. Commands are never retried automatically
//     (they may not be idempotent); the next Exec dials again.
//
// A server that answers a command with nothing but "Keep Alive" (one ASA bot
// retries ListPlayers in that case) therefore ends in ErrTimeout; the caller
// decides whether to retry.
//
// Residual risk: a non-keep-alive packet with id 0 that arrives after the
// drain and before the real reply (e.g. a second packet of a split reply that
// is slower than the next command) is indistinguishable and would be returned.
// ASA is not known to split replies (doc §2.1, UNCERTAIN).
//
// # Why it lives in app/rcon
//
// The top level is fixed by the design card (main.go, app, storage, arksave,
// bots, jobs, testdata). The RCON client (with its ASA text parsers and
// the log-line classifier) is one of the appliance's two edges to the
// outside world (Nitrado's REST API and the game servers' RCON), and app is
// where the appliance meets the outside world, so the clients sit
// under app. Unlike the rest of app (wiring, which only main imports) they
// are leaves: they import no project package, so every bot and job may
// import them directly and use their types, with no mirror struct or
// adapter in between. TestImportDirection (app/imports_test.go) enforces
// both halves. The fake (app/rcon/rcontest) is for tests and the sandbox only.
package rcon
