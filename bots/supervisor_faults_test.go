package bots_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
)

// faultWorld runs the production path (bots.Supervisor, its runner and
// dispatcher) against the fake Discord, for op 7, op 9 and 429 storms.
type faultWorld struct {
	fake  *discordtest.Server
	bot   discordtest.Bot
	guild discordtest.Guild
	sup   *bots.Supervisor
	user  *discordgo.User
}

const fwChannel = "910000000000000001"

func startFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	fake := discordtest.New(discordtest.Options{AckDeadline: discordtest.LoadedAckDeadline})
	t.Cleanup(fake.Close)
	w := &faultWorld{fake: fake, bot: fake.AddBot("token-faults"), user: &discordgo.User{ID: "710000000000000001", Username: "player"}}
	w.guild = fake.AddGuild(discordtest.Guild{Name: "Faults",
		Channels: []*discordgo.Channel{{ID: fwChannel, Name: "general", Type: discordgo.ChannelTypeGuildText}},
		Members:  []*discordgo.Member{{User: w.user}}})
	if err := fake.AddBotToGuild(w.bot, w.guild.ID); err != nil {
		t.Fatal(err)
	}
	sup, err := bots.NewSupervisor(bots.Options{
		Bots:          []bots.BotConfig{{Kind: bots.Server, Token: w.bot.Token, AppID: w.bot.AppID}},
		NewHTTPClient: fake.HTTPClient, NewDialer: fake.Dialer,
		GuildIDs: []string{w.guild.ID}, Logger: slog.New(slog.DiscardHandler),
		MinBackoff: 20 * time.Millisecond, DeferAfter: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := bots.NewRouter().
		Command(&bots.Command{Spec: &discordgo.ApplicationCommand{Name: "ping", Description: "Ping"}, Access: bots.Everyone,
			Run: func(ctx context.Context, c *bots.Ctx) (*bots.Response, error) { return bots.Text("pong"), nil }}).
		Command(&bots.Command{Spec: &discordgo.ApplicationCommand{Name: "slow", Description: "Slow"}, Access: bots.Everyone,
			Run: func(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
				select {
				case <-time.After(400 * time.Millisecond):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				return bots.Text("slow done"), nil
			}})
	if err := sup.Handle(bots.Server, r); err != nil {
		t.Fatal(err)
	}
	w.sup = sup
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	var once sync.Once
	t.Cleanup(func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	})
	w.waitReady(t)
	return w
}

func (w *faultWorld) state() bots.SessionState {
	for _, st := range w.sup.Status() {
		if st.Kind == bots.Server {
			return st.State
		}
	}
	return ""
}

// waitReady waits until the supervisor reports the session connected and
// its commands are registered.
func (w *faultWorld) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for w.state() != bots.StateConnected || len(w.fake.Commands(w.bot, w.guild.ID)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %+v", w.sup.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *faultWorld) command(t *testing.T, name string) discordtest.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := w.fake.Interact(ctx, w.bot, discordtest.Interaction{CommandName: name, User: w.user, GuildID: w.guild.ID, ChannelID: fwChannel})
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.WaitFinal(ctx)
	if err != nil {
		t.Fatalf("/%s: no answer: %v (status %+v)", name, err, w.sup.Status())
	}
	return r
}

// op 7 RECONNECT: the supervised session resumes on a new connection and
// keeps answering; the supervisor reports it connected again.
func TestSupervisorOp7Reconnect(t *testing.T) {
	w := startFaultWorld(t)
	for i := 0; i < 3; i++ {
		before := w.fake.GatewayStats(w.bot)
		if err := w.fake.Reconnect(w.bot); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		st, err := w.fake.WaitGateway(ctx, w.bot, func(s discordtest.GatewayStats) bool {
			return s.Connected && s.Connections > before.Connections
		})
		cancel()
		if err != nil {
			t.Fatalf("op 7 #%d: %v", i+1, err)
		}
		if st.Resumes <= before.Resumes && st.Identifies <= before.Identifies {
			t.Fatalf("op 7 #%d: neither resumed nor identified: %+v", i+1, st)
		}
		w.waitReady(t)
		if r := w.command(t, "ping"); r.Data.Content != "pong" {
			t.Fatalf("after op 7 #%d: %+v", i+1, r.Data)
		}
	}
}

// op 9 INVALID_SESSION: the supervised session identifies afresh and keeps
// answering.
func TestSupervisorOp9InvalidSession(t *testing.T) {
	w := startFaultWorld(t)
	for i := 0; i < 3; i++ {
		before := w.fake.GatewayStats(w.bot)
		if err := w.fake.InvalidateSession(w.bot); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := w.fake.WaitGateway(ctx, w.bot, func(s discordtest.GatewayStats) bool {
			return s.Connected && s.Identifies > before.Identifies
		})
		cancel()
		if err != nil {
			t.Fatalf("op 9 #%d: %v (stats %+v)", i+1, err, w.fake.GatewayStats(w.bot))
		}
		w.waitReady(t)
		if r := w.command(t, "ping"); r.Data.Content != "pong" {
			t.Fatalf("after op 9 #%d: %+v", i+1, r.Data)
		}
	}
}

// A long storm of 429s (route and global) on the interaction callback and
// on the deferred edit: every answer still arrives, the session stays
// connected, and every injected 429 was consumed (discordgo waited them
// out rather than dropping the call).
func TestSupervisorLong429Storm(t *testing.T) {
	w := startFaultWorld(t)
	callback := discordtest.Route("POST", "/interactions/*/*/callback")
	edit := discordtest.Route("PATCH", "/webhooks/*/*/messages/@original")
	if err := w.fake.RateLimitNext(w.bot, callback, 30*time.Millisecond, false, 25); err != nil {
		t.Fatal(err)
	}
	if err := w.fake.RateLimitNext(w.bot, callback, 30*time.Millisecond, true, 5); err != nil {
		t.Fatal(err)
	}
	if err := w.fake.RateLimitNext(w.bot, edit, 50*time.Millisecond, false, 30); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if r := w.command(t, "ping"); r.Data.Content != "pong" {
			t.Fatalf("ping %d: %+v", i, r.Data)
		}
		if r := w.command(t, "slow"); !strings.Contains(r.Data.Content, "slow done") {
			t.Fatalf("slow %d: %+v", i, r.Data)
		}
		if st := w.state(); st != bots.StateConnected {
			t.Fatalf("session %s during the storm", st)
		}
	}
	if n := w.fake.PendingFailures(w.bot); n != 0 {
		t.Fatalf("%d injected 429s never reached (calls went elsewhere?)", n)
	}
}

// A privileged intent switched off in the Developer Portal (close 4014):
// the status names the switch to turn on, and the bot connects by itself
// once it is on.
func TestSupervisorDisallowedIntents(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(discordtest.Options{AckDeadline: discordtest.LoadedAckDeadline})
	t.Cleanup(fake.Close)
	bot := fake.AddBot("token-intents")
	if err := fake.SetPrivilegedIntents(bot, 0); err != nil {
		t.Fatal(err)
	}
	sup, err := bots.NewSupervisor(bots.Options{
		Bots:          []bots.BotConfig{{Kind: bots.Server, Token: bot.Token, AppID: bot.AppID}},
		NewHTTPClient: fake.HTTPClient, NewDialer: fake.Dialer, Logger: slog.New(slog.DiscardHandler),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	status := func() bots.SessionStatus {
		for _, st := range sup.Status() {
			if st.Kind == bots.Server {
				return st
			}
		}
		return bots.SessionStatus{}
	}
	wait := func(what string, ok func(bots.SessionStatus) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok(status()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %+v", what, status())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait("refusal explained", func(st bots.SessionStatus) bool {
		return st.State == bots.StateFailed && strings.Contains(st.LastError, "4014") &&
			strings.Contains(st.LastError, "Privileged Gateway Intents: Message Content")
	})
	if err := fake.SetPrivilegedIntents(bot, discordgo.IntentMessageContent); err != nil {
		t.Fatal(err)
	}
	wait("connected once switched on", func(st bots.SessionStatus) bool { return st.State == bots.StateConnected })
}
