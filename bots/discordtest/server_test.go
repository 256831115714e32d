package discordtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/bots/discordtest"
	"github.com/bwmarrin/discordgo"
)

// env is a fake with one guild, one text channel and some bots.
type env struct {
	t       *testing.T
	srv     *discordtest.Server
	guild   discordtest.Guild
	channel string
	user    *discordgo.User
	bots    []discordtest.Bot

	mu       sync.Mutex
	sessions []*discordgo.Session
}

func newEnv(t *testing.T, opts discordtest.Options, nbots int) *env {
	t.Helper()
	// HeartbeatInterval stays at the default (41.25 s) on purpose: with
	// short intervals discordgo v0.29.0 races its heartbeat and read
	// goroutines on reconnects (see doc.go).
	opts.Logf = t.Logf
	if opts.AckDeadline == 0 && opts.Clock == nil {
		opts.AckDeadline = discordtest.LoadedAckDeadline
	}
	srv := discordtest.New(opts)
	e := &env{t: t, srv: srv, user: &discordgo.User{ID: "500", Username: "survivor"}}
	var members []*discordgo.Member
	for i := range nbots {
		b := srv.AddBot(fmt.Sprintf("token-%d", i))
		e.bots = append(e.bots, b)
		members = append(members, &discordgo.Member{User: &discordgo.User{ID: b.UserID}})
	}
	members = append(members, &discordgo.Member{User: e.user, Roles: []string{"700"}})
	e.guild = srv.AddGuild(discordtest.Guild{
		ID:   "100",
		Name: "Bliss",
		Channels: []*discordgo.Channel{
			{ID: "300", Name: "general", Type: discordgo.ChannelTypeGuildText},
			{ID: "301", Name: "tickets", Type: discordgo.ChannelTypeGuildCategory},
		},
		Roles:   []*discordgo.Role{{ID: "700", Name: "Admin", Permissions: discordgo.PermissionAdministrator}},
		Members: members,
	})
	e.channel = "300"
	t.Cleanup(func() {
		// Close sessions in parallel first (each Close sleeps 1 s), then the fake.
		e.mu.Lock()
		ss := e.sessions
		e.mu.Unlock()
		var wg sync.WaitGroup
		for _, s := range ss {
			wg.Go(func() { _ = s.Close() })
		}
		wg.Wait()
		srv.Close()
	})
	return e
}

// open opens a session for bot; setup runs before Open (add handlers there).
func (e *env) open(bot discordtest.Bot, setup func(*discordgo.Session)) *discordgo.Session {
	e.t.Helper()
	s, err := e.srv.NewSession(bot)
	if err != nil {
		e.t.Fatal(err)
	}
	if setup != nil {
		setup(s)
	}
	beats := e.srv.GatewayStats(bot).Heartbeats
	if err := s.Open(); err != nil {
		e.t.Fatalf("open: %v", err)
	}
	// discordgo's heartbeat goroutine sends its first heartbeat right after
	// connecting. If the connection is closed before that (Close, op 7, a
	// drop), the send fails and the goroutine closes whatever connection the
	// session has by then, i.e. the new one. Hand the session to the test
	// only once that goroutine is parked waiting for its next tick.
	if _, err := e.srv.WaitGateway(ctxT(e.t), bot, func(st discordtest.GatewayStats) bool { return st.Heartbeats > beats }); err != nil {
		e.t.Fatalf("open: no first heartbeat: %v", err)
	}
	e.mu.Lock()
	e.sessions = append(e.sessions, s)
	e.mu.Unlock()
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func registerPing(t *testing.T, s *discordgo.Session, bot discordtest.Bot, guildID string) {
	t.Helper()
	_, err := s.ApplicationCommandBulkOverwrite(bot.AppID, guildID, []*discordgo.ApplicationCommand{
		{Name: "ping", Description: "Ping the bot", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "text", Description: "what to echo"},
		}},
	})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
}

func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return -1
}

func TestReadyAndGuildCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	ready := make(chan *discordgo.Ready, 1)
	guild := make(chan *discordgo.GuildCreate, 1)
	s := e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) { ready <- r })
		s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) { guild <- g })
	})
	ctx := ctxT(t)
	select {
	case r := <-ready:
		if r.User.ID != bot.UserID || r.Application.ID != bot.AppID || r.SessionID == "" {
			t.Fatalf("bad READY: %+v", r)
		}
	case <-ctx.Done():
		t.Fatal("no READY")
	}
	select {
	case g := <-guild:
		if g.ID != "100" || len(g.Channels) != 2 {
			t.Fatalf("bad GUILD_CREATE: %+v", g.Guild)
		}
	case <-ctx.Done():
		t.Fatal("no GUILD_CREATE")
	}
	if s.State.User.ID != bot.UserID {
		t.Fatalf("state user %s", s.State.User.ID)
	}
	// State is filled from GUILD_CREATE; handlers run after state update.
	if _, err := s.State.Channel("300"); err != nil {
		t.Fatalf("state channel: %v", err)
	}
	u, err := s.User("@me")
	if err != nil || u.ID != bot.UserID {
		t.Fatalf("@me: %v %+v", err, u)
	}
	if st := e.srv.GatewayStats(bot); st.Identifies != 1 || !st.Connected {
		t.Fatalf("stats %+v", st)
	}
}

func TestSlashCommandDoubleAckAndOversizedEmbed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	errs := make(chan error, 4)
	s := e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
			data := ic.ApplicationCommandData()
			switch data.Options[0].StringValue() {
			case "twice":
				errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
					Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "first"},
				})
				errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
					Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "second"},
				})
			case "big":
				errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
					Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{{Title: strings.Repeat("x", 257)}}},
				})
			}
		})
	})
	registerPing(t, s, bot, "100")
	ctx := ctxT(t)

	h, err := e.srv.Interact(ctx, bot, discordtest.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: "100", ChannelID: "300", User: e.user,
		CommandName: "ping", Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.StringOpt("text", "twice")},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.WaitResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Type != discordgo.InteractionResponseChannelMessageWithSource || resp.Data.Content != "first" {
		t.Fatalf("response %+v", resp)
	}
	if err := <-errs; err != nil {
		t.Fatalf("first ack: %v", err)
	}
	if err := <-errs; restCode(err) != 40060 {
		t.Fatalf("second ack: want 40060, got %v", err)
	}
	// The non-ephemeral response is a channel message.
	if _, err := e.srv.WaitMessage(ctx, "300", func(m *discordgo.Message) bool { return m.Content == "first" }); err != nil {
		t.Fatal(err)
	}

	h2, err := e.srv.Interact(ctx, bot, discordtest.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: "100", ChannelID: "300", User: e.user,
		CommandName: "ping", Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.StringOpt("text", "big")},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = <-errs
	if restCode(err) != 50035 {
		t.Fatalf("oversized embed: want 50035, got %v", err)
	}
	var re *discordgo.RESTError
	errors.As(err, &re)
	var body struct {
		Errors map[string]any `json:"errors"`
	}
	if json.Unmarshal(re.ResponseBody, &body) != nil || !strings.Contains(string(re.ResponseBody), `"title":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH"`) {
		t.Fatalf("error body %s", re.ResponseBody)
	}
	if n := len(h2.Responses()); n != 0 {
		t.Fatalf("rejected callback recorded as response: %d", n)
	}
	if n := len(e.srv.Errors(bot)); n != 2 {
		t.Fatalf("want 2 error calls, got %d", n)
	}
}

func TestAckDeadlineWithManualClock(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, discordtest.Options{Clock: clock, AllowUnregisteredCommands: true}, 1)
	bot := e.bots[0]
	got := make(chan *discordgo.InteractionCreate, 1)
	s := e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) { got <- ic })
	})
	ctx := ctxT(t)
	h, err := e.srv.Interact(ctx, bot, discordtest.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: "100", ChannelID: "300", User: e.user, CommandName: "slow",
	})
	if err != nil {
		t.Fatal(err)
	}
	var ic *discordgo.InteractionCreate
	select {
	case ic = <-got:
	case <-ctx.Done():
		t.Fatal("no interaction")
	}
	if ts, _ := discordtest.SnowflakeTime(ic.ID); !ts.Equal(clock.Now()) {
		t.Fatalf("snowflake time %v, want %v", ts, clock.Now())
	}
	clock.Advance(3*time.Second + time.Millisecond)
	err = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	if restCode(err) != 10062 {
		t.Fatalf("late ack: want 10062, got %v", err)
	}
	if len(h.Responses()) != 0 {
		t.Fatal("late ack accepted")
	}
}

func TestDeferredFollowupAndEdit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	errs := make(chan error, 8)
	s := e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
			errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
			})
			content := "done"
			_, err := s.InteractionResponseEdit(ic.Interaction, &discordgo.WebhookEdit{Content: &content})
			errs <- err
			_, err = s.FollowupMessageCreate(ic.Interaction, true, &discordgo.WebhookParams{Content: "more"})
			errs <- err
		})
	})
	registerPing(t, s, bot, "")
	ctx := ctxT(t)
	h, err := e.srv.Interact(ctx, bot, discordtest.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: "100", ChannelID: "300", User: e.user, CommandName: "ping",
	})
	if err != nil {
		t.Fatal(err)
	}
	final, err := h.WaitFinal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if final.Kind != discordtest.KindEditOriginal || final.Data.Content != "done" {
		t.Fatalf("final %+v", final)
	}
	rs, err := h.WaitN(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if rs[2].Kind != discordtest.KindFollowup || rs[2].Data.Content != "more" {
		t.Fatalf("followup %+v", rs[2])
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if orig := h.Original(); orig == nil || orig.Content != "done" || orig.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatalf("original %+v", orig)
	}
	// The ephemeral original is not a channel message; the followup is.
	for _, m := range e.srv.Messages("300") {
		if m.Content == "done" {
			t.Fatal("ephemeral response stored in channel")
		}
	}
}

func TestComponentUpdateAndModal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	errs := make(chan error, 4)
	s := e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
			switch ic.Type {
			case discordgo.InteractionMessageComponent:
				if ic.MessageComponentData().CustomID == "modal" {
					// Buttons are not allowed in modals.
					errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
						Type: discordgo.InteractionResponseModal,
						Data: &discordgo.InteractionResponseData{CustomID: "m", Title: "Report", Components: []discordgo.MessageComponent{
							discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.Button{Label: "x", CustomID: "b"}}},
						}},
					})
					return
				}
				errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
					Type: discordgo.InteractionResponseUpdateMessage,
					Data: &discordgo.InteractionResponseData{Content: "claimed by " + ic.Member.User.Username},
				})
			case discordgo.InteractionModalSubmit:
				v := ic.ModalSubmitData().Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput).Value
				errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
					Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "got " + v, Flags: discordgo.MessageFlagsEphemeral},
				})
			}
		})
	})
	ctx := ctxT(t)
	msg, err := s.ChannelMessageSendComplex("300", &discordgo.MessageSend{
		Content: "ticket",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Claim", CustomID: "claim", Style: discordgo.PrimaryButton},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := e.srv.Interact(ctx, bot, discordtest.Interaction{
		Type: discordgo.InteractionMessageComponent, GuildID: "100", ChannelID: "300", User: e.user,
		CustomID: "claim", MessageID: msg.ID,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := h.WaitResponse(ctx); err != nil || r.MessageID != msg.ID {
		t.Fatalf("%v %+v", err, r)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.WaitMessage(ctx, "300", func(m *discordgo.Message) bool {
		return m.ID == msg.ID && m.Content == "claimed by survivor"
	}); err != nil {
		t.Fatal(err)
	}

	if _, err := e.srv.Interact(ctx, bot, discordtest.Interaction{
		Type: discordgo.InteractionMessageComponent, GuildID: "100", ChannelID: "300", User: e.user, CustomID: "modal",
	}); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; restCode(err) != 50035 {
		t.Fatalf("bad modal: want 50035, got %v", err)
	}

	h3, err := e.srv.Interact(ctx, bot, discordtest.Interaction{
		Type: discordgo.InteractionModalSubmit, GuildID: "100", ChannelID: "300", User: e.user,
		CustomID: "m", ModalValues: map[string]string{"reason": "griefing"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := h3.WaitResponse(ctx)
	if err != nil || r.Data.Content != "got griefing" || !r.Ephemeral() {
		t.Fatalf("%v %+v", err, r)
	}
}

func TestResumeAfterDropReplaysEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	msgs := make(chan string, 4)
	e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) { msgs <- m.Content })
	})
	ctx := ctxT(t)
	if err := e.srv.DropConnection(bot); err != nil {
		t.Fatal(err)
	}
	// Sent while the bot is disconnected: buffered and replayed on RESUME.
	if _, err := e.srv.SendMessage("300", e.user, "while away"); err != nil {
		t.Fatal(err)
	}
	st, err := e.srv.WaitGateway(ctx, bot, func(st discordtest.GatewayStats) bool { return st.Resumes >= 1 && st.Connected })
	if err != nil {
		t.Fatal(err)
	}
	if st.Identifies != 1 {
		t.Fatalf("re-identified: %+v", st)
	}
	select {
	case c := <-msgs:
		if c != "while away" {
			t.Fatalf("got %q", c)
		}
	case <-ctx.Done():
		t.Fatalf("missed event not replayed; stats %+v", e.srv.GatewayStats(bot))
	}
}

func TestOp7ReconnectAndInvalidSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	msgs := make(chan string, 4)
	e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) { msgs <- m.Content })
	})
	ctx := ctxT(t)
	if err := e.srv.Reconnect(bot); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.WaitGateway(ctx, bot, func(st discordtest.GatewayStats) bool { return st.Resumes == 1 && st.Connected }); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.InvalidateSession(bot); err != nil {
		t.Fatal(err)
	}
	st, err := e.srv.WaitGateway(ctx, bot, func(st discordtest.GatewayStats) bool { return st.Identifies == 2 && st.Connected })
	if err != nil {
		t.Fatal(err)
	}
	if st.Resumes != 1 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := e.srv.SendMessage("300", e.user, "after"); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-msgs:
		if c != "after" {
			t.Fatalf("got %q", c)
		}
	case <-ctx.Done():
		t.Fatalf("no message after re-identify; stats %+v", e.srv.GatewayStats(bot))
	}
}

func TestRateLimitAndServerErrorRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	s := e.open(bot, nil)
	limited := make(chan *discordgo.RateLimit, 1)
	s.AddHandler(func(_ *discordgo.Session, r *discordgo.RateLimit) { limited <- r })
	route := discordtest.Route("POST", "/channels/*/messages")
	if err := e.srv.RateLimitNext(bot, route, 20*time.Millisecond, false, 1); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.FailNext(bot, route, http.StatusBadGateway, 1); err != nil {
		t.Fatal(err)
	}
	m, err := s.ChannelMessageSend("300", "hello")
	if err != nil || m.Content != "hello" {
		t.Fatalf("%v %+v", err, m)
	}
	select {
	case <-limited:
	case <-ctxT(t).Done():
		t.Fatal("no RateLimit event")
	}
	var statuses []int
	for _, c := range e.srv.Calls(bot) {
		if route(c.Method, c.Path) {
			statuses = append(statuses, c.Status)
		}
	}
	if fmt.Sprint(statuses) != "[429 502 200]" {
		t.Fatalf("statuses %v", statuses)
	}
	// A 500 is not retried by discordgo.
	if err := e.srv.FailNext(bot, route, http.StatusInternalServerError, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChannelMessageSend("300", "x"); err == nil {
		t.Fatal("500 not surfaced")
	}
}

func TestCommandValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	s := e.open(bot, nil)
	_, err := s.ApplicationCommandBulkOverwrite(bot.AppID, "", []*discordgo.ApplicationCommand{
		{Name: "Ping", Description: "bad name"},
	})
	if restCode(err) != 50035 {
		t.Fatalf("uppercase name: %v", err)
	}
	var opts []*discordgo.ApplicationCommandOption
	for i := range 26 {
		opts = append(opts, &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: fmt.Sprintf("o%d", i), Description: "d"})
	}
	_, err = s.ApplicationCommandBulkOverwrite(bot.AppID, "", []*discordgo.ApplicationCommand{{Name: "many", Description: "d", Options: opts}})
	if restCode(err) != 50035 {
		t.Fatalf("26 options: %v", err)
	}
	cmds, err := s.ApplicationCommandBulkOverwrite(bot.AppID, "", []*discordgo.ApplicationCommand{
		{Name: "ticket", Description: "Tickets", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "open", Description: "Open a ticket"},
		}},
		{Name: "Report message", Type: discordgo.MessageApplicationCommand},
	})
	if err != nil || len(cmds) != 2 || cmds[0].ID == "" || cmds[0].ApplicationID != bot.AppID {
		t.Fatalf("%v %+v", err, cmds)
	}
	again, err := s.ApplicationCommandBulkOverwrite(bot.AppID, "", []*discordgo.ApplicationCommand{{Name: "ticket", Description: "Tickets v2"}})
	if err != nil || again[0].ID != cmds[0].ID {
		t.Fatalf("overwrite must keep ID: %v %+v", err, again)
	}
	if got := e.srv.Commands(bot, ""); len(got) != 1 || got[0].Description != "Tickets v2" {
		t.Fatalf("stored %+v", got)
	}
	// Unregistered commands cannot be invoked.
	if _, err := e.srv.Interact(ctxT(t), bot, discordtest.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: "100", ChannelID: "300", User: e.user, CommandName: "nope",
	}); err == nil {
		t.Fatal("unregistered command dispatched")
	}
}

func TestMessageLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	s := e.open(bot, nil)
	cases := map[string]*discordgo.MessageSend{
		"content": {Content: strings.Repeat("a", 2001)},
		"embeds":  {Embeds: make11Embeds()},
		"total": {Embeds: []*discordgo.MessageEmbed{
			{Description: strings.Repeat("a", 4000)}, {Description: strings.Repeat("b", 2001)},
		}},
		"fields": {Embeds: []*discordgo.MessageEmbed{{Fields: []*discordgo.MessageEmbedField{{Name: "n", Value: strings.Repeat("v", 1025)}}}}},
		"rows": {Content: "x", Components: func() []discordgo.MessageComponent {
			var rows []discordgo.MessageComponent
			for i := range 6 {
				rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.Button{Label: "b", CustomID: fmt.Sprint(i)}}})
			}
			return rows
		}()},
		"customid": {Content: "x", Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "b", CustomID: strings.Repeat("c", 101)},
		}}}},
		"options": {Content: "x", Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.SelectMenu{CustomID: "s", Options: make26Options()},
		}}}},
	}
	for name, m := range cases {
		if _, err := s.ChannelMessageSendComplex("300", m); restCode(err) != 50035 {
			t.Errorf("%s: want 50035, got %v", name, err)
		}
	}
	if _, err := s.ChannelMessageSendComplex("300", &discordgo.MessageSend{}); restCode(err) != 50006 {
		t.Errorf("empty: want 50006, got %v", err)
	}
	if len(e.srv.Messages("300")) != 0 {
		t.Fatal("rejected message stored")
	}
}

func make11Embeds() []*discordgo.MessageEmbed {
	var out []*discordgo.MessageEmbed
	for range 11 {
		out = append(out, &discordgo.MessageEmbed{Title: "t"})
	}
	return out
}

func make26Options() []discordgo.SelectMenuOption {
	var out []discordgo.SelectMenuOption
	for i := range 26 {
		out = append(out, discordgo.SelectMenuOption{Label: fmt.Sprint(i), Value: fmt.Sprint(i)})
	}
	return out
}

func TestThreadsChannelsAndState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 2)
	bot, other := e.bots[0], e.bots[1]
	created := make(chan *discordgo.ThreadCreate, 4)
	s := e.open(bot, nil)
	e.open(other, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, c *discordgo.ThreadCreate) { created <- c })
	})
	ctx := ctxT(t)
	th, err := s.ThreadStartComplex("300", &discordgo.ThreadStart{Name: "ticket-1", AutoArchiveDuration: 1440, Type: discordgo.ChannelTypeGuildPrivateThread})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ThreadMemberAdd(th.ID, e.user.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChannelMessageSend(th.ID, "welcome"); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-created:
		if c.ID != th.ID || !c.NewlyCreated {
			t.Fatalf("%+v", c)
		}
	case <-ctx.Done():
		t.Fatal("other bot saw no THREAD_CREATE")
	}
	// Wait for our own THREAD_CREATE to reach state via a marker message.
	m, err := s.ChannelMessageSend("300", "root")
	if err != nil {
		t.Fatal(err)
	}
	mt, err := s.MessageThreadStart("300", m.ID, "discussion", 60)
	if err != nil || mt.ID != m.ID {
		t.Fatalf("%v %+v", err, mt)
	}
	if _, err := s.MessageThreadStart("300", m.ID, "again", 60); restCode(err) != 160004 {
		t.Fatalf("second thread: %v", err)
	}
	if _, err := s.ThreadStart("300", strings.Repeat("n", 101), discordgo.ChannelTypeGuildPublicThread, 60); restCode(err) != 50035 {
		t.Fatalf("long name: %v", err)
	}
	ch, err := s.GuildChannelCreateComplex("100", discordgo.GuildChannelCreateData{Name: "ticket-2", Type: discordgo.ChannelTypeGuildText, ParentID: "301"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChannelDelete(ch.ID); err != nil {
		t.Fatal(err)
	}
	chans, err := s.GuildChannels("100")
	if err != nil || len(chans) != 2 {
		t.Fatalf("%v %d", err, len(chans))
	}
	mem, err := s.GuildMember("100", e.user.ID)
	if err != nil || len(mem.Roles) != 1 {
		t.Fatalf("%v %+v", err, mem)
	}
	roles, err := s.GuildRoles("100")
	if err != nil || len(roles) != 2 {
		t.Fatalf("%v %+v", err, roles)
	}
	dm, err := s.UserChannelCreate(e.user.ID)
	if err != nil || dm.Type != discordgo.ChannelTypeDM {
		t.Fatalf("%v %+v", err, dm)
	}
	if _, err := s.ChannelMessageSend(dm.ID, "psst"); err != nil {
		t.Fatal(err)
	}
	got, err := s.ChannelMessages(th.ID, 10, "", "", "")
	if err != nil || len(got) != 1 || got[0].Content != "welcome" {
		t.Fatalf("%v %+v", err, got)
	}
	if errs := e.srv.Errors(bot); len(errs) != 2 {
		t.Fatalf("errors: %+v", errs)
	}
}

func TestSixSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 6)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	sessions := make([]*discordgo.Session, 6)
	for i, bot := range e.bots {
		wg.Go(func() {
			s, err := e.srv.NewSession(bot)
			if err != nil {
				t.Error(err)
				return
			}
			s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
				_ = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
					Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "pong from " + s.State.User.ID},
				})
			})
			if err := s.Open(); err != nil {
				t.Error(err)
				return
			}
			e.mu.Lock()
			e.sessions = append(e.sessions, s)
			e.mu.Unlock()
			sessions[i] = s
			registerPing(t, s, bot, "100")
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var handles []*discordtest.InteractionHandle
	for _, bot := range e.bots {
		h, err := e.srv.Interact(ctx, bot, discordtest.Interaction{
			Type: discordgo.InteractionApplicationCommand, GuildID: "100", ChannelID: "300", User: e.user, CommandName: "ping",
		})
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, h)
	}
	for i, h := range handles {
		r, err := h.WaitResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.Data.Content != "pong from "+e.bots[i].UserID {
			t.Fatalf("bot %d answered %q", i, r.Data.Content)
		}
	}
	for _, bot := range e.bots {
		for _, c := range e.srv.Calls(bot) {
			if c.BotUserID != bot.UserID {
				t.Fatal("call attributed to the wrong bot")
			}
		}
	}
}

func TestTransportRefusesOtherHosts(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(discordtest.Options{})
	defer srv.Close()
	_, err := srv.HTTPClient().Get("https://example.com/")
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownTokenRejected(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(discordtest.Options{})
	defer srv.Close()
	s, _ := discordgo.New("Bot nope")
	s.Client = srv.HTTPClient()
	s.Dialer = srv.Dialer()
	s.LogLevel = -1
	if err := s.Open(); err == nil {
		s.Close()
		t.Fatal("opened with unknown token")
	}
}
