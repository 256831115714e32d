package tickets_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/ticketstore"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/tickets"
	"github.com/blissark/bliss/storage"
)

const (
	adminID   = "700000000000000001"
	staff1ID  = "700000000000000002"
	staff2ID  = "700000000000000003"
	playerID  = "700000000000000004"
	player2ID = "700000000000000005"
	adminRole = "800000000000000001"
	staffRole = "800000000000000002"
	supportCh = "900000000000000001"
	logCh     = "900000000000000002"
	ticketCh  = "900000000000000003"
	botRole   = "800000000000000009"
	lockedCh  = "900000000000000004" // the bot may not create private threads here
)

type world struct {
	t     testing.TB
	fake  *discordtest.Server
	bot   discordtest.Bot
	guild discordtest.Guild
	store *bots.MemStore
	db    *storage.DB
	tb    *tickets.Bot
	clock *discordtest.ManualClock // the bot's and SQLite's
	bottest.Client

	mu        sync.Mutex
	forwarded []string // custom ids handed on by Forward
	stop      func()   // stops the running supervisor
}

func newWorld(t testing.TB, settings map[string]string) *world {
	return newWorldStrict(t, settings, false)
}

// newWorldStrict with strict set enforces permissions and intents: the
// bot holds exactly the permissions its invite link asks for, @everyone
// may not create threads, and events follow the session's intents.
func newWorldStrict(t testing.TB, settings map[string]string, strict bool) *world {
	t.Helper()
	fake := bottest.NewFake(t, discordtest.Options{EnforcePermissions: strict, EnforceIntents: strict, EnforceRenameLimit: strict})
	w := &world{t: t, fake: fake, store: bots.NewMemStore(), clock: discordtest.NewManualClock(time.Now().UTC())}
	w.bot = fake.AddBot("token-ticket")
	text := discordgo.ChannelTypeGuildText
	everyone := int64(discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionReadMessageHistory |
		discordgo.PermissionSendMessagesInThreads | discordgo.PermissionUseSlashCommands | discordgo.PermissionAttachFiles)
	w.guild = fake.AddGuild(discordtest.Guild{ID: "600000000000000001", Name: "Ark Cluster",
		Roles: []*discordgo.Role{{ID: "600000000000000001", Name: "@everyone", Permissions: everyone},
			{ID: adminRole, Name: "Admin", Permissions: discordgo.PermissionAdministrator, Position: 3},
			{ID: staffRole, Name: "Staff", Position: 1}, {ID: botRole, Name: "Bliss Tickets", Permissions: bots.Ticket.Info().Permissions, Position: 2}},
		Channels: []*discordgo.Channel{{ID: supportCh, Name: "support", Type: text}, {ID: logCh, Name: "ticket-log", Type: text},
			// Guilds that make claims read-only grant Manage Messages in the ticket channel.
			{ID: ticketCh, Name: "tickets", Type: text, PermissionOverwrites: []*discordgo.PermissionOverwrite{
				{ID: botRole, Type: discordgo.PermissionOverwriteTypeRole, Allow: discordgo.PermissionManageMessages}}},
			{ID: lockedCh, Name: "locked", Type: text, PermissionOverwrites: []*discordgo.PermissionOverwrite{
				{ID: botRole, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionCreatePrivateThreads}}}},
		Members: []*discordgo.Member{
			{User: &discordgo.User{ID: adminID, Username: "admin"}, Roles: []string{adminRole}},
			{User: &discordgo.User{ID: staff1ID, Username: "staff1"}, Roles: []string{staffRole}},
			{User: &discordgo.User{ID: staff2ID, Username: "staff2"}, Roles: []string{staffRole}},
			{User: &discordgo.User{ID: playerID, Username: "player", GlobalName: "Pat **Player**"}},
			{User: &discordgo.User{ID: player2ID, Username: "player2"}},
		}})
	bottest.Invite(t, fake, w.bot, w.guild.ID, botRole)
	gs := bots.GuildSettings{GuildID: w.guild.ID, StaffRoleIDs: []string{staffRole}, LogChannels: map[string]string{"tickets": logCh},
		Values: map[string]string{}}
	for k, v := range settings {
		gs.Values[k] = v
	}
	if err := w.store.SaveGuildSettings(context.Background(), gs); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = w.clock.Now
	w.db = db
	w.Client = bottest.Client{T: t, Fake: fake, Bot: w.bot, Guild: w.guild.ID, Channel: supportCh}
	w.start()
	return w
}

func (w *world) start() {
	_, w.stop = bottest.Start(w.t, w.fake, bottest.Options{Bots: []bottest.Bot{{Kind: bots.Ticket, Fake: w.bot}},
		Guilds: []string{w.guild.ID}, Staff: bots.StaffFromStore(w.store),
		Setup: func(sup *bots.Supervisor) {
			w.tb = tickets.NewBot(tickets.Deps{Guilds: w.store, Store: ticketstore.New(w.db), Now: w.clock.Now,
				Session: func() *discordgo.Session { return sup.Session(bots.Ticket) },
				Forward: func(ctx context.Context, c *bots.Ctx, id string) (*bots.Response, error) {
					w.mu.Lock()
					w.forwarded = append(w.forwarded, id)
					w.mu.Unlock()
					return bots.Text("restarting"), nil
				}})
			if err := sup.Handle(bots.Ticket, w.tb.Router()); err != nil {
				w.t.Fatal(err)
			}
		}})
}

func user(id string) *discordgo.User { return &discordgo.User{ID: id} }

func (w *world) command(who, channel string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordtest.Response {
	w.t.Helper()
	return w.In(channel).Cmd(who, "ticket", opts...)
}

func (w *world) click(who, channel, customID string) discordtest.Response {
	w.t.Helper()
	return w.In(channel).Click(who, customID)
}

func (w *world) submit(who, channel, customID string, values map[string]string) discordtest.Response {
	w.t.Helper()
	return w.In(channel).Submit(who, customID, values)
}

func (w *world) noErrors() {
	w.t.Helper()
	for _, c := range w.fake.Errors(w.bot) {
		w.t.Errorf("fake rejected %s %s -> %d %s", c.Method, c.Path, c.Status, c.Response)
	}
}

// addType adds a ticket type and returns its panel button custom id.
func (w *world) addType(label, questions string) string {
	w.t.Helper()
	opts := []*discordgo.ApplicationCommandInteractionDataOption{discordtest.StringOpt("label", label), discordtest.StringOpt("emoji", "🛟")}
	if questions != "" {
		opts = append(opts, discordtest.StringOpt("questions", questions))
	}
	r := w.command(adminID, supportCh, discordtest.SubCommandGroup("type", discordtest.SubCommand("add", opts...)))
	if !strings.Contains(bottest.Text(r), "Ticket type added") {
		w.t.Fatalf("type add: %s", bottest.Text(r))
	}
	types, err := ticketstore.New(w.db).Types(context.Background(), w.guild.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, t := range types {
		if t.Label == label {
			return fmt.Sprintf("tkopen:%d", t.ID)
		}
	}
	w.t.Fatalf("type %s not stored", label)
	return ""
}

// threadOf returns the thread id a "Ticket #N is open: <#id>" answer names.
func threadOf(t testing.TB, r discordtest.Response) string {
	t.Helper()
	s := bottest.Text(r)
	for _, marker := range []string{`\u003c#`, "<#"} {
		if j := strings.Index(s, marker); j >= 0 {
			rest := s[j+len(marker):]
			if k := strings.IndexAny(rest, `>\`); k > 0 {
				return rest[:k]
			}
		}
	}
	t.Fatalf("no thread in answer: %s", s)
	return ""
}
