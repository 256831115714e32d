// Package bots runs Bliss's six Discord bots (Master, Server management,
// Activity Points, Guardian Points, Tickets, Assistant), each in its own
// supervised discordgo session with its own token and rate-limit bucket. It
// declares the small interfaces it needs (storage, RCON, Nitrado) and never
// imports storage; app wires the concrete types.
//
// Wiring (app):
//
//	sup, err := bots.NewSupervisor(bots.Options{Bots: cfgs, Staff: bots.StaffFromStore(store), GuildIDs: ids, Logger: log})
//	sup.Handle(bots.Master, master.New(master.Deps{Store: store, Bots: sup, Status: appStatus}))
//	sup.Handle(bots.Ticket, tickets.New(...)) // each bot = a Router (specs + handlers)
//	go sup.Run(ctx)                          // returns nil on cancel; sup.Status() for /healthz
//
// Interaction path: gateway → dispatcher (per bot) → route (command path,
// custom_id prefix, modal prefix, "pg:" pager) → RBAC (Staff routes) →
// handler in its own goroutine with panic recovery → direct response, or
// a deferral after Options.DeferAfter then edit/follow-up. Errors become red
// embeds: UserError text verbatim, anything else "internal error, logged as
// <ref>". Embeds are clamped and split by package embed before sending.
package bots
