package discordtest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/bots/discordtest"
	"github.com/bwmarrin/discordgo"
)

// fakeGoroutines returns stacks of goroutines running code of the fake.
func fakeGoroutines() []string {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	var out []string
	for _, g := range strings.Split(string(buf[:n]), "\n\n") {
		if strings.Contains(g, "bots/discordtest.(*") && !strings.Contains(g, "fakeGoroutines") {
			out = append(out, g)
		}
	}
	return out
}

// Not parallel: parallel tests are paused while it runs, so the only fake
// goroutines are its own.
func TestCloseStopsAllGoroutines(t *testing.T) {
	srv := discordtest.New(discordtest.Options{})
	bot := srv.AddBot("t")
	srv.AddGuild(discordtest.Guild{ID: "1", Channels: []*discordgo.Channel{{ID: "2"}}, Members: []*discordgo.Member{{User: &discordgo.User{ID: bot.UserID}}}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dg, err := srv.OpenSession(ctx, bot, func(s *discordgo.Session) { s.ShouldReconnectOnError = false })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dg.ChannelMessageSend("2", "x"); err != nil {
		t.Fatal(err)
	}
	if len(fakeGoroutines()) == 0 {
		t.Fatal("expected connection goroutines while open")
	}
	// Close the fake under an open session: Close must still return and
	// stop everything it started (the session sees a dropped connection).
	srv.Close()
	// Close waits for every handler to signal it is done; a handler may
	// still be unwinding its last frame (or a late reconnect be turned away
	// with 503), so allow a bounded moment for those to return.
	deadline := time.Now().Add(5 * time.Second)
	for g := fakeGoroutines(); len(g) != 0; g = fakeGoroutines() {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left after Close:\n%s", strings.Join(g, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = dg.Close()
}

func TestNormalCloseInvalidatesSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{DisableCompression: true}, 1)
	bot := e.bots[0]
	s := e.open(bot, nil)
	ctx := ctxT(t)
	if err := s.Close(); err != nil { // code 1000
		t.Fatal(err)
	}
	if _, err := e.srv.WaitGateway(ctx, bot, func(st discordtest.GatewayStats) bool { return st.SessionID == "" }); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	st, err := e.srv.WaitGateway(ctx, bot, func(st discordtest.GatewayStats) bool { return st.Connected })
	if err != nil {
		t.Fatal(err)
	}
	if st.Identifies != 2 || st.FailedResumes != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWebhookTokenExpires(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, discordtest.Options{Clock: clock, AllowUnregisteredCommands: true}, 1)
	bot := e.bots[0]
	got := make(chan *discordgo.InteractionCreate, 1)
	s := e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) { got <- ic })
	})
	ctx := ctxT(t)
	if _, err := e.srv.Interact(ctx, bot, discordtest.Interaction{GuildID: "100", ChannelID: "300", User: e.user, CommandName: "x"}); err != nil {
		t.Fatal(err)
	}
	ic := <-got
	if _, err := s.FollowupMessageCreate(ic.Interaction, true, &discordgo.WebhookParams{Content: "early"}); restCode(err) != 10015 {
		t.Fatalf("followup before ack: %v", err)
	}
	if err := s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(14 * time.Minute)
	content := "still ok"
	if _, err := s.InteractionResponseEdit(ic.Interaction, &discordgo.WebhookEdit{Content: &content}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute + time.Second)
	if _, err := s.FollowupMessageCreate(ic.Interaction, true, &discordgo.WebhookParams{Content: "late"}); restCode(err) != 50027 {
		t.Fatalf("followup after 15 min: %v", err)
	}
}

// Many sessions hammering REST and the gateway at once (for the race detector).
func TestConcurrentTraffic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 6)
	ctx := ctxT(t)
	sessions := make([]*discordgo.Session, len(e.bots))
	for i, bot := range e.bots {
		sessions[i] = e.open(bot, func(s *discordgo.Session) {
			s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
				_ = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
					Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "ok"},
				})
			})
		})
		registerPing(t, sessions[i], bot, "100")
	}
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() {
			for j := range 10 {
				if _, err := s.ChannelMessageSend("300", fmt.Sprintf("bot %d msg %d", i, j)); err != nil {
					t.Error(err)
				}
				if _, err := s.ChannelMessages("300", 5, "", "", ""); err != nil {
					t.Error(err)
				}
			}
			if _, err := s.ThreadStart("300", fmt.Sprint("t", i), discordgo.ChannelTypeGuildPublicThread, 60); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			for range 5 {
				h, err := e.srv.Interact(ctx, e.bots[i], discordtest.Interaction{GuildID: "100", ChannelID: "300", User: e.user, CommandName: "ping"})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := h.WaitResponse(ctx); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for j := range 5 {
				if _, err := e.srv.SendMessage("300", e.user, fmt.Sprint("user ", i, j)); err != nil {
					t.Error(err)
				}
				_ = e.srv.Messages("300")
				_ = e.srv.Calls(e.bots[i])
			}
		})
	}
	wg.Wait()
	// 60 bot messages + 30 interaction responses + 30 user messages.
	if n := len(e.srv.Messages("300")); n != 120 {
		t.Fatalf("messages %d", n)
	}
	for _, s := range sessions {
		if err := discordtest.WaitState(ctx, s, func(st *discordgo.State) bool {
			st.RLock()
			defer st.RUnlock()
			g := st.Guilds[0]
			return len(g.Threads) == 6
		}); err != nil {
			t.Fatal(err)
		}
	}
}
