// Package bottest is the bots' shared end-to-end test harness, as
// net/http/httptest is net/http's: it starts a bots.Supervisor for one or
// more bots over a fake Discord (bots/discordtest) with real discordgo
// sessions, waits until their commands are registered, stops it when the
// test ends, and sends interactions as the guild's members and waits for
// the final answers. Each bot's own deps, stores and fakes stay in that
// bot's tests.
//
// Production code never imports it (app's TestImportDirection: a package
// whose name ends in "test" is for tests only).
//
// Every wait is bounded by Deadline, which is generous: the tests share a
// busy 2-core machine under -race, and only a failing test waits that long.
package bottest
