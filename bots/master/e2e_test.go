package master_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/embed"
	"github.com/blissark/bliss/bots/master"
)

// world is a fake Discord with six bots and one guild.
type world struct {
	fake    *discordtest.Server
	bots    map[bots.BotKind]discordtest.Bot
	guild   discordtest.Guild
	store   *bots.MemStore
	adminID string // has a role with Administrator
	staffID string // has the "Staff" role (not configured as staff yet)
	userID  string // plain member
	staffRl string
}

func newWorld(t testing.TB) *world {
	t.Helper()
	fake := bottest.NewFake(t, discordtest.Options{})
	w := &world{fake: fake, bots: map[bots.BotKind]discordtest.Bot{}, store: bots.NewMemStore(),
		adminID: "700000000000000001", staffID: "700000000000000002", userID: "700000000000000003",
		staffRl: "800000000000000002"}
	for _, k := range bots.Kinds() {
		w.bots[k] = fake.AddBot("token-" + string(k))
	}
	w.guild = fake.AddGuild(bottest.Personas{Admin: w.adminID, Staff: w.staffID, Player: w.userID, AdminRole: "800000000000000001", StaffRole: w.staffRl}.
		Guild("Ark Cluster", []*discordgo.Channel{bottest.TextChannel("900000000000000001", "general")}))
	for _, k := range bots.Kinds() {
		if k == bots.GP { // GP has not been invited yet
			continue
		}
		bottest.Invite(t, fake, w.bots[k], w.guild.ID)
	}
	return w
}

// testRouter is a minimal router for the bots whose commands come later.
func testRouter(k bots.BotKind) *bots.Router {
	r := bots.NewRouter()
	r.Command(&bots.Command{Spec: &discordgo.ApplicationCommand{Name: "ping-" + string(k), Description: "Ping"}, Access: bots.Everyone,
		Run: func(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
			return bots.Text("pong " + string(c.Bot)), nil
		}})
	r.Command(&bots.Command{Spec: &discordgo.ApplicationCommand{Name: "boom", Description: "Panics"}, Access: bots.Everyone,
		Run: func(ctx context.Context, c *bots.Ctx) (*bots.Response, error) { panic("hostile input") }})
	r.Command(&bots.Command{Spec: &discordgo.ApplicationCommand{Name: "huge", Description: "Oversized embed"}, Access: bots.Everyone,
		Run: func(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
			b := embed.New().Title(strings.Repeat("T", 400)).Description(strings.Repeat("word ", 6000)).Footer(strings.Repeat("f", 3000))
			for i := 0; i < 60; i++ {
				b.Field(strings.Repeat("n", 300), strings.Repeat("v", 1500), true)
			}
			return bots.Reply(b.Build()...), nil
		}})
	r.Command(&bots.Command{Spec: &discordgo.ApplicationCommand{Name: "slow", Description: "Slow"}, Access: bots.Everyone,
		Run: func(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
			select {
			case <-time.After(400 * time.Millisecond):
			case <-ctx.Done():
			}
			return bots.Text("slow done"), nil
		}})
	return r
}

// start runs a supervisor against the fake until the test ends or stop is
// called.
func (w *world) start(t testing.TB, opts bots.Options) (sup *bots.Supervisor, stop func()) {
	t.Helper()
	var bs []bottest.Bot
	for _, k := range bots.Kinds() {
		b := bottest.Bot{Kind: k, Fake: w.bots[k], Uninvited: k == bots.GP} // GP is not in the guild: nothing to register
		if k != bots.Master {
			b.Router = testRouter(k)
		}
		bs = append(bs, b)
	}
	return bottest.Start(t, w.fake, bottest.Options{Bots: bs, Guilds: []string{w.guild.ID}, Staff: bots.StaffFromStore(w.store), Supervisor: opts,
		Setup: func(sup *bots.Supervisor) {
			if err := sup.Handle(bots.Master, master.New(master.Deps{Store: w.store, Bots: sup})); err != nil {
				t.Fatal(err)
			}
		}})
}

// interact sends in to bot k and waits for the final answer.
func (w *world) interact(t testing.TB, k bots.BotKind, in discordtest.Interaction) (*discordtest.InteractionHandle, discordtest.Response) {
	t.Helper()
	return bottest.Client{T: t, Fake: w.fake, Bot: w.bots[k], Guild: w.guild.ID, Channel: "900000000000000001"}.Send(in)
}

func user(id string) *discordgo.User { return &discordgo.User{ID: id, Username: "u" + id[len(id)-1:]} }

func TestE2ESixBotsConnectAndRegister(t *testing.T) {
	w := newWorld(t)
	sup, _ := w.start(t, bots.Options{})
	for _, st := range sup.Status() {
		if st.State != bots.StateConnected || st.Guilds != 1 && st.Kind != bots.GP {
			t.Errorf("%s: %+v", st.Kind, st)
		}
	}
	names := map[string]bool{}
	for _, c := range w.fake.Commands(w.bots[bots.Master], w.guild.ID) {
		names[c.Name] = true
	}
	for _, n := range []string{"setup", "config", "servers", "status"} {
		if !names[n] {
			t.Errorf("master command %s not registered", n)
		}
	}
}

func TestE2ESetupRBAC(t *testing.T) {
	w := newWorld(t)
	w.start(t, bots.Options{})

	// A plain member and a not-yet-configured staff member are refused.
	for _, id := range []string{w.userID, w.staffID} {
		_, r := w.interact(t, bots.Master, discordtest.Interaction{User: user(id), CommandName: "setup"})
		if !r.Ephemeral() || !strings.Contains(bottest.Text(r), "needs a staff role") {
			t.Fatalf("/setup by %s not refused: %s", id, bottest.Text(r))
		}
	}
	// The administrator sees the wizard with GP's invite link.
	_, r := w.interact(t, bots.Master, discordtest.Interaction{User: user(w.adminID), CommandName: "setup"})
	out := bottest.Text(r)
	gp := w.bots[bots.GP]
	wantInvite := "client_id=" + gp.AppID + `\u0026permissions=84992\u0026scope=bot+applications.commands`
	if !strings.Contains(out, wantInvite) || !strings.Contains(out, "✅ Bliss Tickets") {
		t.Fatalf("setup wizard: %s", out)
	}
	// The admin picks the Staff role in the role select.
	_, r = w.interact(t, bots.Master, discordtest.Interaction{Type: discordgo.InteractionMessageComponent, User: user(w.adminID),
		CustomID: "setup:set:staff_role_ids", ComponentType: discordgo.RoleSelectMenuComponent, Values: []string{w.staffRl}})
	if r.Type != discordgo.InteractionResponseUpdateMessage {
		t.Fatalf("select answered with %v: %s", r.Type, bottest.Text(r))
	}
	// Now the staff member may run /setup; the plain member still may not.
	_, r = w.interact(t, bots.Master, discordtest.Interaction{User: user(w.staffID), CommandName: "setup"})
	if strings.Contains(bottest.Text(r), "needs a staff role") {
		t.Fatalf("staff refused: %s", bottest.Text(r))
	}
	_, r = w.interact(t, bots.Master, discordtest.Interaction{User: user(w.userID), CommandName: "setup"})
	if !strings.Contains(bottest.Text(r), "needs a staff role") {
		t.Fatalf("member allowed: %s", bottest.Text(r))
	}
}

func TestE2EPanicIsolatedAndDeferral(t *testing.T) {
	w := newWorld(t)
	sup, _ := w.start(t, bots.Options{DeferAfter: 100 * time.Millisecond})
	_, r := w.interact(t, bots.AP, discordtest.Interaction{User: user(w.userID), CommandName: "boom"})
	if !strings.Contains(bottest.Text(r), "Internal error, logged as") {
		t.Fatalf("panic answer: %s", bottest.Text(r))
	}
	for _, k := range bots.Kinds()[1:] {
		if k == bots.GP {
			continue
		}
		_, r := w.interact(t, k, discordtest.Interaction{User: user(w.userID), CommandName: "ping-" + string(k)})
		if r.Data.Content != "pong "+string(k) {
			t.Fatalf("%s after panic: %s", k, bottest.Text(r))
		}
	}
	h, r := w.interact(t, bots.Ticket, discordtest.Interaction{User: user(w.userID), CommandName: "slow"})
	rs := h.Responses()
	if rs[0].Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || r.Kind != discordtest.KindEditOriginal || r.Data.Content != "slow done" {
		t.Fatalf("slow handler: %+v", rs)
	}
	for _, st := range sup.Status() {
		if st.State != bots.StateConnected {
			t.Fatalf("%+v", st)
		}
	}
}

func TestE2EGatewayDropResumes(t *testing.T) {
	w := newWorld(t)
	sup, _ := w.start(t, bots.Options{})
	b := w.bots[bots.Server]
	before := w.fake.GatewayStats(b)
	if err := w.fake.DropConnection(b); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	st, err := w.fake.WaitGateway(ctx, b, func(s discordtest.GatewayStats) bool {
		return s.Connected && s.Connections > before.Connections
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Resumes+st.Identifies <= before.Identifies {
		t.Fatalf("no resume/identify: %+v", st)
	}
	t.Logf("after drop: identifies %d resumes %d", st.Identifies, st.Resumes)
	for sup.Status()[1].State != bots.StateConnected {
		if ctx.Err() != nil {
			t.Fatal("status never connected again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, r := w.interact(t, bots.Server, discordtest.Interaction{User: user(w.userID), CommandName: "ping-server"})
	if r.Data.Content != "pong server" {
		t.Fatal(bottest.Text(r))
	}
}

func TestE2ERateLimitStorm(t *testing.T) {
	w := newWorld(t)
	w.start(t, bots.Options{})
	b := w.bots[bots.Assistant]
	if err := w.fake.RateLimitNext(b, discordtest.Route("POST", "/interactions/*/*/callback"), 200*time.Millisecond, false, 3); err != nil {
		t.Fatal(err)
	}
	_, r := w.interact(t, bots.Assistant, discordtest.Interaction{User: user(w.userID), CommandName: "ping-assistant"})
	if r.Data.Content != "pong assistant" {
		t.Fatal(bottest.Text(r))
	}
	if n := w.fake.PendingFailures(b); n != 0 {
		t.Fatalf("%d injected 429s left", n)
	}
}

func TestE2EOversizedEmbed(t *testing.T) {
	w := newWorld(t)
	w.start(t, bots.Options{})
	h, _ := w.interact(t, bots.Ticket, discordtest.Interaction{User: user(w.userID), CommandName: "huge"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// 60 fields of ~1800 chars + a 30000-char description: many messages.
	rs, err := h.WaitN(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if errs := w.fake.Errors(w.bots[bots.Ticket]); len(errs) > 0 {
		t.Fatalf("fake rejected %d calls, first: %s %s -> %d %s", len(errs), errs[0].Method, errs[0].Path, errs[0].Status, errs[0].Response)
	}
	t.Logf("oversized reply sent as %d messages", len(rs))
}

func TestE2EPaginatorSurvivesRestart(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i := 0; i < 23; i++ {
		_ = w.store.AddServer(ctx, bots.GameServer{GuildID: w.guild.ID, ServiceID: int64(1000 + i), Name: "Island", Cluster: "pve"})
	}
	_, stop := w.start(t, bots.Options{})
	_, r := w.interact(t, bots.Master, discordtest.Interaction{User: user(w.adminID), CommandName: "servers",
		Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.SubCommand("list")}})
	if !strings.Contains(bottest.Text(r), "Page 1 of 3") {
		t.Fatalf("first page: %s", bottest.Text(r))
	}
	row := r.Data.Components[0].(*discordgo.ActionsRow)
	next := row.Components[2].(*discordgo.Button).CustomID
	stop()

	w.start(t, bots.Options{}) // a new supervisor: nothing survives but the custom_id
	_, r = w.interact(t, bots.Master, discordtest.Interaction{Type: discordgo.InteractionMessageComponent, User: user(w.adminID), CustomID: next})
	if r.Type != discordgo.InteractionResponseUpdateMessage || !strings.Contains(bottest.Text(r), "Page 2 of 3") {
		t.Fatalf("after restart: %v %s", r.Type, bottest.Text(r))
	}
}

// TestE2EStaleCommandsAndStaffPermissions: a command left registered by an
// earlier version disappears when each bot starts (every bot bulk-overwrites
// its list), and the staff commands carry default_member_permissions (Manage
// Server) so players do not see them.
func TestE2EStaleCommandsAndStaffPermissions(t *testing.T) {
	w := newWorld(t)
	for _, k := range bots.Kinds() {
		if k == bots.GP { // not in the guild
			continue
		}
		s, err := discordgo.New("Bot " + w.bots[k].Token)
		if err != nil {
			t.Fatal(err)
		}
		s.Client = w.fake.HTTPClient()
		if _, err := s.ApplicationCommandCreate(w.bots[k].AppID, w.guild.ID,
			&discordgo.ApplicationCommand{Name: "oldcmd", Description: "Removed in this version"}); err != nil {
			t.Fatal(err)
		}
		if len(w.fake.Commands(w.bots[k], w.guild.ID)) != 1 {
			t.Fatalf("%s: stale command not seeded", k)
		}
	}
	w.start(t, bots.Options{})
	// start returns once any command is listed: wait for each overwrite.
	stale := func(cmds []*discordgo.ApplicationCommand) bool {
		return slices.ContainsFunc(cmds, func(c *discordgo.ApplicationCommand) bool { return c.Name == "oldcmd" })
	}
	for _, k := range bots.Kinds() {
		if k == bots.GP {
			continue
		}
		for deadline := time.Now().Add(10 * time.Second); stale(w.fake.Commands(w.bots[k], w.guild.ID)); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: stale command survived the start: %d commands", k, len(w.fake.Commands(w.bots[k], w.guild.ID)))
			}
		}
		if n := len(w.fake.Commands(w.bots[k], w.guild.ID)); k != bots.Master && n != len(testRouter(k).Specs()) {
			t.Errorf("%s: %d commands registered, want %d", k, n, len(testRouter(k).Specs()))
		}
	}
	cmds := w.fake.Commands(w.bots[bots.Master], w.guild.ID)
	for _, c := range cmds {
		if c.Name == "oldcmd" {
			t.Fatal("stale command survived the start")
		}
		if c.DefaultMemberPermissions == nil || *c.DefaultMemberPermissions != bots.StaffPermissions {
			t.Errorf("/%s default_member_permissions = %v, want %d", c.Name, c.DefaultMemberPermissions, bots.StaffPermissions)
		}
	}
	if len(cmds) != 4 {
		t.Errorf("%d master commands registered, want 4", len(cmds))
	}
	for _, c := range w.fake.Commands(w.bots[bots.Server], w.guild.ID) {
		if c.DefaultMemberPermissions != nil {
			t.Errorf("Everyone command /%s got default_member_permissions %d", c.Name, *c.DefaultMemberPermissions)
		}
	}
}
