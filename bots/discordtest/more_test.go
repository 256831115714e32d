package discordtest_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/blissark/bliss/bots/discordtest"
	"github.com/bwmarrin/discordgo"
)

func TestAutocompleteChoicesLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	errs := make(chan error, 2)
	s := e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
			if ic.Type != discordgo.InteractionApplicationCommandAutocomplete {
				return
			}
			var many []*discordgo.ApplicationCommandOptionChoice
			for i := range 26 {
				many = append(many, &discordgo.ApplicationCommandOptionChoice{Name: fmt.Sprint(i), Value: fmt.Sprint(i)})
			}
			errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: many},
			})
			errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: many[:3]},
			})
		})
	})
	_, err := s.ApplicationCommandBulkOverwrite(bot.AppID, "100", []*discordgo.ApplicationCommand{{
		Name: "server", Description: "Pick a server",
		Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionString, Name: "map", Description: "map", Required: true, Autocomplete: true}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	// A focused option is required for autocomplete.
	if _, err := e.srv.Interact(ctx, bot, discordtest.Interaction{
		Type: discordgo.InteractionApplicationCommandAutocomplete, GuildID: "100", ChannelID: "300", User: e.user, CommandName: "server",
	}); err == nil {
		t.Fatal("autocomplete without focused option dispatched")
	}
	h, err := e.srv.Interact(ctx, bot, discordtest.Interaction{
		Type: discordgo.InteractionApplicationCommandAutocomplete, GuildID: "100", ChannelID: "300", User: e.user, CommandName: "server",
		Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.Focused(discordtest.StringOpt("map", "isl"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errs; restCode(err) != 50035 {
		t.Fatalf("26 choices: %v", err)
	}
	if err := <-errs; err != nil {
		t.Fatalf("3 choices: %v", err)
	}
	r, err := h.WaitResponse(ctx)
	if err != nil || len(r.Data.Choices) != 3 {
		t.Fatalf("%v %+v", err, r)
	}
}

func TestInteractChecksOptionsAgainstCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	s := e.open(bot, nil)
	_, err := s.ApplicationCommandBulkOverwrite(bot.AppID, "", []*discordgo.ApplicationCommand{{
		Name: "points", Description: "Points",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "give", Description: "Give points", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "who", Required: true},
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "amount", Description: "how many", Required: true},
			}},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	in := discordtest.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: "100", ChannelID: "300", User: e.user, CommandName: "points"}
	bad := [][]*discordgo.ApplicationCommandInteractionDataOption{
		{discordtest.SubCommand("give", discordtest.UserOpt("user", "500"))},                                  // missing amount
		{discordtest.SubCommand("take", discordtest.UserOpt("user", "500"), discordtest.IntOpt("amount", 1))}, // unknown subcommand
		{discordtest.SubCommand("give", discordtest.StringOpt("user", "500"), discordtest.IntOpt("amount", 1))},
	}
	for i, opts := range bad {
		in.Options = opts
		if _, err := e.srv.Interact(ctx, bot, in); err == nil {
			t.Errorf("case %d dispatched", i)
		}
	}
	in.Options = []*discordgo.ApplicationCommandInteractionDataOption{discordtest.SubCommand("give", discordtest.UserOpt("user", "500"), discordtest.IntOpt("amount", 5))}
	h, err := e.srv.Interact(ctx, bot, in)
	if err != nil {
		t.Fatal(err)
	}
	data := h.Interaction().ApplicationCommandData()
	if data.Resolved == nil || data.Resolved.Users["500"] == nil || data.Resolved.Members["500"] == nil {
		t.Fatalf("resolved %+v", data.Resolved)
	}
	if got := data.Options[0].Options[1].IntValue(); got != 5 {
		t.Fatalf("amount %d", got)
	}
}

func TestResumeRejectedReidentifies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	e.open(bot, nil)
	ctx := ctxT(t)
	if err := e.srv.DropConnection(bot); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.InvalidateSession(bot); err != nil {
		t.Fatal(err)
	}
	st, err := e.srv.WaitGateway(ctx, bot, func(st discordtest.GatewayStats) bool { return st.Identifies == 2 && st.Connected })
	if err != nil {
		t.Fatal(err)
	}
	if st.FailedResumes != 1 || st.Resumes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPermissionsEnforced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{EnforcePermissions: true}, 2)
	staffBot, plainBot := e.bots[0], e.bots[1]
	e.srv.AddGuild(discordtest.Guild{
		ID: "200", Name: "Perms",
		Roles: []*discordgo.Role{
			{ID: "801", Name: "Staff", Position: 2, Permissions: discordgo.PermissionManageChannels | discordgo.PermissionManageRoles | discordgo.PermissionCreatePrivateThreads},
			{ID: "802", Name: "Admin", Position: 3, Permissions: discordgo.PermissionAdministrator},
			{ID: "803", Name: "Member", Position: 1},
		},
		Channels: []*discordgo.Channel{
			{ID: "400", Name: "announcements", Type: discordgo.ChannelTypeGuildText, PermissionOverwrites: []*discordgo.PermissionOverwrite{
				{ID: "200", Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionSendMessages},
			}},
			{ID: "401", Name: "chat", Type: discordgo.ChannelTypeGuildText},
		},
		Members: []*discordgo.Member{
			{User: &discordgo.User{ID: staffBot.UserID}, Roles: []string{"801"}},
			{User: &discordgo.User{ID: plainBot.UserID}},
			{User: e.user},
		},
	})
	staff := e.open(staffBot, nil)
	plain := e.open(plainBot, nil)

	if _, err := plain.GuildChannelCreate("200", "ticket", discordgo.ChannelTypeGuildText); restCode(err) != 50013 {
		t.Fatalf("create without MANAGE_CHANNELS: %v", err)
	}
	if _, err := staff.GuildChannelCreate("200", "ticket", discordgo.ChannelTypeGuildText); err != nil {
		t.Fatalf("staff create: %v", err)
	}
	if _, err := plain.ThreadStart("401", "t", discordgo.ChannelTypeGuildPrivateThread, 60); restCode(err) != 50013 {
		t.Fatalf("private thread without CREATE_PRIVATE_THREADS: %v", err)
	}
	if _, err := staff.ThreadStart("401", "t", discordgo.ChannelTypeGuildPrivateThread, 60); err != nil {
		t.Fatalf("staff thread: %v", err)
	}
	for _, s := range []*discordgo.Session{plain, staff} {
		if _, err := s.ChannelMessageSend("400", "x"); restCode(err) != 50013 {
			t.Fatalf("send despite overwrite: %v", err)
		}
		if _, err := s.ChannelMessageSend("401", "x"); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	if err := plain.GuildMemberRoleAdd("200", "500", "803"); restCode(err) != 50013 {
		t.Fatalf("role add without MANAGE_ROLES: %v", err)
	}
	if err := staff.GuildMemberRoleAdd("200", "500", "803"); err != nil {
		t.Fatalf("role below: %v", err)
	}
	if err := staff.GuildMemberRoleAdd("200", "500", "802"); restCode(err) != 50013 {
		t.Fatalf("role above the bot's top role: %v", err)
	}
	if p, err := e.srv.Permissions("400", staffBot.UserID); err != nil || p&discordgo.PermissionSendMessages != 0 || p&discordgo.PermissionManageChannels == 0 {
		t.Fatalf("perms %b %v", p, err)
	}
	// Without EnforcePermissions (newEnv default) the same calls succeed: see other tests.
}

func TestFilesAndDM(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{AllowUnregisteredCommands: true}, 1)
	bot := e.bots[0]
	errs := make(chan error, 1)
	e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
			errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: "transcript", Files: []*discordgo.File{
					{Name: "t.txt", ContentType: "text/plain", Reader: bytes.NewReader([]byte("hello"))},
				}},
			})
		})
	})
	ctx := ctxT(t)
	h, err := e.srv.Interact(ctx, bot, discordtest.Interaction{Type: discordgo.InteractionApplicationCommand, User: e.user, CommandName: "transcript"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.WaitResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if len(r.Data.Files) != 1 || string(r.Data.Files[0].Data) != "hello" || r.Data.Files[0].Name != "t.txt" {
		t.Fatalf("files %+v", r.Data.Files)
	}
	it := h.Interaction()
	if it.User == nil || it.Member != nil || it.GuildID != "" {
		t.Fatalf("DM interaction %+v", it)
	}
	msgs := e.srv.Messages(it.ChannelID)
	if len(msgs) != 1 || len(msgs[0].Attachments) != 1 {
		t.Fatalf("dm messages %+v", msgs)
	}
}

func TestRequestGuildMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	chunks := make(chan *discordgo.GuildMembersChunk, 1)
	s := e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, c *discordgo.GuildMembersChunk) { chunks <- c })
	})
	if err := s.RequestGuildMembers("100", "surv", 0, "n1", false); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	select {
	case c := <-chunks:
		if len(c.Members) != 1 || c.Members[0].User.ID != "500" || c.Nonce != "n1" {
			t.Fatalf("%+v", c)
		}
	case <-ctx.Done():
		t.Fatal("no chunk")
	}
}

func TestRenameLimit(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, discordtest.Options{Clock: clock, EnforceRenameLimit: true}, 1)
	s := e.open(e.bots[0], nil)
	for i := range 2 {
		if _, err := s.ChannelEdit("300", &discordgo.ChannelEdit{Name: fmt.Sprint("name-", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.ChannelEdit("300", &discordgo.ChannelEdit{Name: "third"}, discordgo.WithRetryOnRatelimit(false))
	var rl *discordgo.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 10*time.Minute {
		t.Fatalf("third rename: %v", err)
	}
	clock.Advance(10 * time.Minute)
	if _, err := s.ChannelEdit("300", &discordgo.ChannelEdit{Name: "third"}); err != nil {
		t.Fatal(err)
	}
	if ch, _ := e.srv.Channel("300"); ch.Name != "third" {
		t.Fatalf("name %q", ch.Name)
	}
}

func TestRolesAndMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	updates := make(chan *discordgo.GuildMemberUpdate, 4)
	s := e.open(bot, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, u *discordgo.GuildMemberUpdate) { updates <- u })
	})
	ctx := ctxT(t)
	role, err := s.GuildRoleCreate("100", &discordgo.RoleParams{Name: "Guardian"})
	if err != nil || role.Name != "Guardian" {
		t.Fatalf("%v %+v", err, role)
	}
	roles := []string{role.ID}
	if _, err := s.GuildMemberEdit("100", "500", &discordgo.GuildMemberParams{Roles: &roles}); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-updates:
		if len(u.Roles) != 1 || u.Roles[0] != role.ID {
			t.Fatalf("%+v", u.Member)
		}
	case <-ctx.Done():
		t.Fatal("no GUILD_MEMBER_UPDATE")
	}
	if err := s.GuildRoleDelete("100", role.ID); err != nil {
		t.Fatal(err)
	}
	if g, _ := e.srv.GuildState("100"); len(g.Members[len(g.Members)-1].Roles) != 0 {
		t.Fatalf("role not removed from member: %+v", g.Members[len(g.Members)-1])
	}
	m, err := e.srv.AddMember("100", &discordgo.Member{User: &discordgo.User{Username: "newbie"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.GuildMemberDelete("100", m.User.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GuildMember("100", m.User.ID); restCode(err) != 10007 {
		t.Fatalf("kicked member: %v", err)
	}
	th, err := s.ThreadStart("300", "ticket", discordgo.ChannelTypeGuildPrivateThread, 60)
	if err != nil {
		t.Fatal(err)
	}
	active, err := s.GuildThreadsActive("100")
	if err != nil || len(active.Threads) != 1 || active.Threads[0].ID != th.ID || len(active.Members) != 1 {
		t.Fatalf("%v %+v", err, active)
	}
	archived := true
	if _, err := s.ChannelEdit(th.ID, &discordgo.ChannelEdit{Archived: &archived}); err != nil {
		t.Fatal(err)
	}
	if active, _ := s.GuildThreadsActive("100"); len(active.Threads) != 0 {
		t.Fatal("archived thread listed as active")
	}
	// Sending unarchives.
	if _, err := s.ChannelMessageSend(th.ID, "bump"); err != nil {
		t.Fatal(err)
	}
	if ch, _ := e.srv.Channel(th.ID); ch.ThreadMetadata.Archived {
		t.Fatal("still archived")
	}
}

func TestOpenSessionHelper(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(discordtest.Options{HeartbeatInterval: 100 * time.Millisecond, Logf: t.Logf})
	bot := srv.AddBot("Bot helper-token")
	srv.AddGuild(discordtest.Guild{ID: "1", Channels: []*discordgo.Channel{{ID: "2", Name: "c"}},
		Members: []*discordgo.Member{{User: &discordgo.User{ID: bot.UserID}}}})
	srv.AddGuild(discordtest.Guild{ID: "3", Members: []*discordgo.Member{{User: &discordgo.User{ID: bot.UserID}}}})
	dg, err := srv.OpenSession(ctxT(t), bot, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	defer discordtest.CloseSessions(dg)
	if len(dg.State.Guilds) != 2 {
		t.Fatalf("guilds %d", len(dg.State.Guilds))
	}
	if _, err := dg.State.Channel("2"); err != nil {
		t.Fatal(err)
	}
	if bot.Token != "helper-token" || srv.AddBot("helper-token") != bot {
		t.Fatalf("token handling %+v", bot)
	}
}

func TestHeartbeatsAcked(t *testing.T) {
	t.Parallel()
	// discordgo gives up after 5 intervals without an ACK: 400 ms leaves a
	// loaded machine 2 s to answer, where 20 ms left it 100 ms.
	e := newEnv(t, discordtest.Options{HeartbeatInterval: 400 * time.Millisecond}, 1)
	bot := e.bots[0]
	e.open(bot, nil)
	// discordgo reconnects if ACKs stop coming; a stable session with
	// several heartbeats shows they are answered.
	st, err := e.srv.WaitGateway(ctxT(t), bot, func(st discordtest.GatewayStats) bool { return st.Heartbeats >= 4 })
	if err != nil {
		t.Fatal(err)
	}
	if st.Identifies != 1 || st.Resumes != 0 {
		t.Fatalf("session not stable: %+v", st)
	}
}

func TestIntentsEnforced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{EnforceIntents: true}, 2)
	plainBot, privBot := e.bots[0], e.bots[1]
	type seen struct {
		content string
		kind    string
	}
	plainCh := make(chan seen, 8)
	privCh := make(chan seen, 8)
	handlers := func(ch chan seen) func(*discordgo.Session) {
		return func(s *discordgo.Session) {
			s.SyncEvents = true // handlers run in dispatch order
			s.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) { ch <- seen{m.Content, "msg"} })
			s.AddHandler(func(_ *discordgo.Session, m *discordgo.GuildMemberAdd) { ch <- seen{m.User.ID, "member"} })
		}
	}
	e.open(plainBot, handlers(plainCh))
	e.open(privBot, func(s *discordgo.Session) {
		handlers(privCh)(s)
		s.Identify.Intents = discordgo.IntentsAllWithoutPrivileged | discordgo.IntentMessageContent | discordgo.IntentsGuildMembers
	})
	ctx := ctxT(t)
	next := func(ch chan seen) seen {
		t.Helper()
		select {
		case v := <-ch:
			return v
		case <-ctx.Done():
			t.Fatal("no event")
			return seen{}
		}
	}
	if _, err := e.srv.AddMember("100", &discordgo.Member{User: &discordgo.User{ID: "501", Username: "newbie"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.SendMessage("300", e.user, "hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.SendMessage("300", e.user, "hi <@"+plainBot.UserID+">"); err != nil {
		t.Fatal(err)
	}
	if got := next(privCh); got != (seen{"501", "member"}) {
		t.Fatalf("privileged bot: %+v", got)
	}
	if got := next(privCh); got != (seen{"hello", "msg"}) {
		t.Fatalf("privileged bot: %+v", got)
	}
	// No GUILD_MEMBER_ADD and no content without the privileged intents,
	// except when mentioned.
	if got := next(plainCh); got != (seen{"", "msg"}) {
		t.Fatalf("plain bot: %+v", got)
	}
	if got := next(plainCh); got != (seen{"hi <@" + plainBot.UserID + ">", "msg"}) {
		t.Fatalf("plain bot: %+v", got)
	}
}

func TestZombieConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{HeartbeatInterval: 50 * time.Millisecond}, 1)
	bot := e.bots[0]
	e.open(bot, nil)
	ctx := ctxT(t)
	if err := e.srv.SuppressHeartbeatACKs(bot, true); err != nil {
		t.Fatal(err)
	}
	// discordgo notices the missing ACKs, closes with 1000 (invalidating the
	// session) and reconnects; its RESUME is refused.
	if _, err := e.srv.WaitGateway(ctx, bot, func(st discordtest.GatewayStats) bool { return st.FailedResumes >= 1 }); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SuppressHeartbeatACKs(bot, false); err != nil {
		t.Fatal(err)
	}
	st, err := e.srv.WaitGateway(ctx, bot, func(st discordtest.GatewayStats) bool { return st.Identifies >= 2 && st.Connected })
	if err != nil {
		t.Fatal(err)
	}
	if st.Resumes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestGatewayRateLimit(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, discordtest.Options{Clock: clock, EnforceGatewayRateLimit: true}, 1)
	bot := e.bots[0]
	s := e.open(bot, nil)
	ctx := ctxT(t)
	before := e.srv.GatewayStats(bot)
	// IDENTIFY and the first heartbeat already count; 120 more exceed the limit.
	for i := range 120 {
		if err := s.UpdateGameStatus(0, fmt.Sprint("status ", i)); err != nil {
			break // the connection was closed under us
		}
	}
	if _, err := e.srv.WaitGateway(ctx, bot, func(st discordtest.GatewayStats) bool {
		return st.Connections > before.Connections && st.Connected
	}); err != nil {
		t.Fatal(err)
	}
}

func TestCommandContextsAndPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{EnforceCommandPermissions: true}, 1)
	bot := e.bots[0]
	s := e.open(bot, nil)
	manage := int64(discordgo.PermissionManageGuild)
	guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	if _, err := s.ApplicationCommandBulkOverwrite(bot.AppID, "", []*discordgo.ApplicationCommand{
		{Name: "setup", Description: "Admin setup", DefaultMemberPermissions: &manage, Contexts: &guildOnly},
	}); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if _, err := e.srv.Interact(ctx, bot, discordtest.Interaction{User: e.user, CommandName: "setup"}); err == nil {
		t.Fatal("guild-only command dispatched in a DM")
	}
	if _, err := e.srv.Interact(ctx, bot, discordtest.Interaction{GuildID: "100", ChannelID: "300", User: e.user, CommandName: "setup", Roles: []string{}}); err == nil {
		t.Fatal("command dispatched to a member without MANAGE_GUILD")
	}
	// e.user's stored role 700 is Administrator.
	if _, err := e.srv.Interact(ctx, bot, discordtest.Interaction{GuildID: "100", ChannelID: "300", User: e.user, CommandName: "setup"}); err != nil {
		t.Fatal(err)
	}
}

func TestPermissionOverwritesAndBulkDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	s := e.open(bot, nil)
	if err := s.ChannelPermissionSet("300", e.user.ID, discordgo.PermissionOverwriteTypeMember, discordgo.PermissionViewChannel, discordgo.PermissionSendMessages); err != nil {
		t.Fatal(err)
	}
	ch, _ := e.srv.Channel("300")
	if len(ch.PermissionOverwrites) != 1 || ch.PermissionOverwrites[0].Deny != discordgo.PermissionSendMessages {
		t.Fatalf("%+v", ch.PermissionOverwrites)
	}
	// e.user is an Administrator, so overwrites do not restrict them.
	if p, _ := e.srv.Permissions("300", e.user.ID); p != discordgo.PermissionAll {
		t.Fatalf("admin perms %d", p)
	}
	if err := s.ChannelPermissionDelete("300", e.user.ID); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		m, err := s.ChannelMessageSend("300", fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if err := s.ChannelMessagesBulkDelete("300", ids[:2]); err != nil {
		t.Fatal(err)
	}
	if msgs := e.srv.Messages("300"); len(msgs) != 1 || msgs[0].ID != ids[2] {
		t.Fatalf("%+v", msgs)
	}
}
