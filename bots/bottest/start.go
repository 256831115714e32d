package bottest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
)

// Bot is one bot a supervisor runs: its kind, its identity on the fake
// Discord and its router.
type Bot struct {
	Kind bots.BotKind
	Fake discordtest.Bot
	// Router is attached with Handle before Run. Nil: Options.Setup
	// attaches it (a router whose deps reach the supervisor).
	Router *bots.Router
	// Uninvited: the bot is in none of Options.Guilds, so Start waits
	// for its session only.
	Uninvited bool
}

// Options configure Start.
type Options struct {
	Bots []Bot
	// Guilds: commands are registered in these guilds, and Start waits
	// until every bot has commands in each of them.
	Guilds []string
	// Staff supplies the guilds' staff roles (nil: Administrators only).
	Staff bots.StaffSource
	// Supervisor holds further supervisor options (DeferAfter,
	// HandlerTimeout, …). Start sets Bots, NewHTTPClient, NewDialer,
	// GuildIDs and Staff; Logger defaults to a discarding one and
	// MinBackoff to 20 ms.
	Supervisor bots.Options
	// Setup, if set, runs after the supervisor is built and before it
	// runs (say, to attach a router that needs the supervisor).
	Setup func(*bots.Supervisor)
}

// Start builds a supervisor over fake for o.Bots, runs it until the test
// ends or stop is called, and waits until every bot has a session and
// (unless Uninvited) commands in every guild of o.Guilds. stop cancels
// the run, waits for it and reports a Run error; calling it again does
// nothing.
func Start(t testing.TB, fake *discordtest.Server, o Options) (sup *bots.Supervisor, stop func()) {
	t.Helper()
	opts := o.Supervisor
	for _, b := range o.Bots {
		opts.Bots = append(opts.Bots, bots.BotConfig{Kind: b.Kind, Token: b.Fake.Token, AppID: b.Fake.AppID})
	}
	opts.NewHTTPClient, opts.NewDialer = fake.HTTPClient, fake.Dialer
	opts.GuildIDs, opts.Staff = o.Guilds, o.Staff
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff = 20 * time.Millisecond
	}
	sup, err := bots.NewSupervisor(opts)
	if err != nil {
		t.Fatal(err)
	}
	if o.Setup != nil {
		o.Setup(sup)
	}
	for _, b := range o.Bots {
		if b.Router == nil {
			continue
		}
		if err := sup.Handle(b.Kind, b.Router); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	for _, b := range o.Bots {
		registered := func() bool {
			if sup.Session(b.Kind) == nil {
				return false
			}
			for _, g := range o.Guilds {
				if !b.Uninvited && len(fake.Commands(b.Fake, g)) == 0 {
					return false
				}
			}
			return true
		}
		if !poll(registered, 5*time.Millisecond) {
			t.Fatalf("%s never registered: %+v", b.Kind, sup.Status())
		}
	}
	return sup, stop
}
