// Package bots runs Bliss's six Discord bots (Master, Server management,
// Activity Points, Guardian Points, Tickets, Assistant), each in its own
// supervised discordgo session with its own token and rate-limit bucket. It
// declares the small interfaces it needs (storage, RCON, Nitrado) and never
// imports storage; app wires the concrete types.
package bots
