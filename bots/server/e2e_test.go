package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/app/serverstore"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/server"
	"github.com/blissark/bliss/jobs/countdown"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/state"
)

const (
	adminA  = "710000000000000001"
	staffA  = "710000000000000002"
	playerA = "710000000000000003"
	adminB  = "720000000000000001"
	roleAdm = "810000000000000001"
	roleStf = "810000000000000002"
	roleAdB = "820000000000000001"
	chanA   = "910000000000000001"
	logA    = "910000000000000002"
	chanB   = "920000000000000001"
)

// gameServer is one fake ARK server: RCON over TCP plus a Nitrado service.
type gameServer struct {
	id   int64
	name string
	rc   *rcontest.Server
	pw   string
}

// world is a fake Discord with the Server bot in two guilds, fake game
// servers behind RCON and Nitrado fakes, and a real SQLite database.
type world struct {
	t       testing.TB
	fake    *discordtest.Server
	bot     discordtest.Bot
	guildA  discordtest.Guild
	guildB  discordtest.Guild
	store   *bots.MemStore
	db      *storage.DB
	dbPath  string
	state   *state.Store // countdowns live here
	nit     *nitradotest.Server
	nc      *nitrado.Client
	pool    *rcon.Pool
	servers map[int64]*gameServer

	sup    *bots.Supervisor
	runner *countdown.Runner
	clock  *holdClock // the countdowns' clock

	annMu sync.Mutex
	ann   map[int64]string // countdown id → announcement message id

	// cdOverride, when set before start, replaces the countdown runner as
	// the bot's Countdowns.
	cdOverride server.Countdowns

	bottest.Client // in guild A's #general
}

func newWorld(t testing.TB) *world {
	t.Helper()
	fake := bottest.NewFake(t, discordtest.Options{})
	w := &world{t: t, fake: fake, store: bots.NewMemStore(), servers: map[int64]*gameServer{}, clock: &holdClock{}}
	w.bot = fake.AddBot("token-server")
	w.guildA = fake.AddGuild(bottest.Personas{Admin: adminA, Staff: staffA, Player: playerA, AdminRole: roleAdm, StaffRole: roleStf}.
		Guild("Cluster A", []*discordgo.Channel{bottest.TextChannel(chanA, "general"), bottest.TextChannel(logA, "admin-log")}))
	w.guildB = fake.AddGuild(bottest.Personas{AdminRole: roleAdB}.
		Guild("Other", []*discordgo.Channel{bottest.TextChannel(chanB, "general")}, bottest.Member(adminB, "adminB", roleAdB)))
	for _, g := range []string{w.guildA.ID, w.guildB.ID} {
		bottest.Invite(t, fake, w.bot, g)
	}
	w.Client = bottest.Client{T: t, Fake: fake, Bot: w.bot, Guild: w.guildA.ID, Channel: chanA, User: user}
	ctx := context.Background()
	_ = w.store.SaveGuildSettings(ctx, bots.GuildSettings{GuildID: w.guildA.ID, StaffRoleIDs: []string{roleStf},
		LogChannels: map[string]string{"admin": logA}})

	w.dbPath = filepath.Join(t.TempDir(), "bliss.db")
	w.openDB()
	w.nit = nitradotest.New(t)
	nc, err := nitrado.New(nitrado.Options{Token: w.nit.Token(), BaseURL: w.nit.URL(), RateLimit: -1, RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	w.nc = nc
	w.pool = rcon.NewPool(func(ctx context.Context, id int64) (rcon.Target, error) {
		g := w.servers[id]
		if g == nil {
			return rcon.Target{}, fmt.Errorf("unknown server %d", id)
		}
		return rcon.Target{Name: g.name, Addr: g.rc.Addr(), Password: g.pw}, nil
	}, rcon.Options{DialTimeout: 700 * time.Millisecond, CommandTimeout: time.Second})
	t.Cleanup(func() { w.pool.Close() })
	return w
}

func (w *world) openDB() {
	db, err := storage.Open(context.Background(), w.dbPath)
	if err != nil {
		w.t.Fatal(err)
	}
	w.db = db
	w.t.Cleanup(func() { db.Close() })
	st, err := state.Open(filepath.Join(filepath.Dir(w.dbPath), "state.db"), state.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	w.state = st
	w.t.Cleanup(func() { st.Close() })
}

func (w *world) countdowns() serverstore.Countdowns { return serverstore.Countdowns{State: w.state} }

// addServer links a fake game server to guild.
func (w *world) addServer(guild string, id int64, name, cluster string, players ...rcontest.Player) *gameServer {
	rc, err := rcontest.New(rcontest.Options{Password: "pw"})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { rc.Close() })
	rc.SetPlayers(players...)
	g := &gameServer{id: id, name: name, rc: rc, pw: "pw"}
	w.servers[id] = g
	w.nit.AddService(nitradotest.Service{ID: id, Name: name, Map: "TheIsland_WP", RCONPassword: "pw", Slots: 70, PlayerCurrent: len(players)})
	if err := w.store.AddServer(context.Background(), bots.GameServer{GuildID: guild, ServiceID: id, Name: name, Cluster: cluster}); err != nil {
		w.t.Fatal(err)
	}
	return g
}

type detailsFromNitrado struct{ nc *nitrado.Client }

func (d detailsFromNitrado) Details(ctx context.Context, id int64) (server.ServerState, error) {
	g, err := d.nc.Gameserver(ctx, id)
	if err != nil {
		return server.ServerState{}, err
	}
	return server.ServerState{Name: g.ServerName(), Map: g.MapName(), Status: g.Status, Players: g.Query.PlayerCurrent, Slot: g.Slots}, nil
}

func (w *world) post(ctx context.Context, channelID string, e *discordgo.MessageEmbed) error {
	s := w.sup.Session(bots.Server)
	if s == nil {
		return fmt.Errorf("server bot not connected")
	}
	_, err := s.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{e},
		AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx))
	return err
}

func (w *world) postFiles(ctx context.Context, channelID string, e *discordgo.MessageEmbed, files []*discordgo.File) error {
	s := w.sup.Session(bots.Server)
	if s == nil {
		return fmt.Errorf("server bot not connected")
	}
	_, err := s.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{e}, Files: files,
		AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx))
	return err
}

func (w *world) edit(ctx context.Context, channelID, messageID string, e *discordgo.MessageEmbed) error {
	s := w.sup.Session(bots.Server)
	if s == nil {
		return fmt.Errorf("server bot not connected")
	}
	embeds, comps := []*discordgo.MessageEmbed{e}, []discordgo.MessageComponent{}
	_, err := s.ChannelMessageEditComplex(&discordgo.MessageEdit{Channel: channelID, ID: messageID, Embeds: &embeds,
		Components: &comps}, discordgo.WithContext(ctx))
	return err
}

// start runs a supervisor (and a countdown runner) until the test ends or
// stop is called.
func (w *world) start() (stop func()) {
	t := w.t
	t.Helper()
	var stopRunner func()
	_, stopBot := bottest.Start(t, w.fake, bottest.Options{Bots: []bottest.Bot{{Kind: bots.Server, Fake: w.bot}},
		Guilds: []string{w.guildA.ID, w.guildB.ID}, Staff: bots.StaffFromStore(w.store),
		Supervisor: bots.Options{DeferAfter: 1500 * time.Millisecond},
		Setup: func(sup *bots.Supervisor) {
			w.sup = sup
			auditor := bots.NewAuditor(serverstore.Audit{DB: w.db}, w.post, w.store)
			names := func(id int64) string {
				if g := w.servers[id]; g != nil {
					return g.name
				}
				return ""
			}
			runner, err := countdown.New(countdown.Options{Store: w.countdowns(),
				Servers: serverstore.GameServers{RCON: w.pool, Nitrado: w.nc, Names: names},
				Report:  serverstore.Report(w.post, w.edit, auditor, nil),
				Now:     w.clock.Now,
				Minute:  150 * time.Millisecond, Tick: 20 * time.Millisecond, Poll: 20 * time.Millisecond, Settle: 50 * time.Millisecond,
				CallTimeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			w.runner = runner
			var cds server.Countdowns = serverstore.Scheduler{Runner: runner}
			if w.cdOverride != nil {
				cds = w.cdOverride
			}
			r := server.New(server.Deps{Store: w.store, RCON: w.pool, Nitrado: w.nc, Details: detailsFromNitrado{w.nc},
				Info: serverstore.Info{DB: w.db}, Audit: auditor, Countdowns: cds, Schedules: w.nc,
				RCONTimeout: 2 * time.Second, NitradoTimeout: 3 * time.Second})
			if err := r.Validate(); err != nil {
				t.Fatal(err)
			}
			if err := sup.Handle(bots.Server, r); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = runner.Run(ctx) }()
			var once sync.Once
			stopRunner = func() { once.Do(func() { cancel(); <-done }) }
			t.Cleanup(stopRunner)
		}})
	return func() { stopBot(); stopRunner() }
}

func user(id string) *discordgo.User { return &discordgo.User{ID: id, Username: "u" + id[len(id)-2:]} }

// do sends one interaction and waits for the final answer.
func (w *world) do(in discordtest.Interaction) (*discordtest.InteractionHandle, discordtest.Response) {
	w.t.Helper()
	c := w.Client
	if in.GuildID == w.guildB.ID {
		c = c.In(chanB)
	}
	return c.Send(in)
}

func (w *world) cmd(who, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordtest.Response {
	w.t.Helper()
	_, r := w.do(discordtest.Interaction{User: user(who), CommandName: name, Options: opts})
	return r
}

func (w *world) cmdIn(guild, who, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordtest.Response {
	w.t.Helper()
	_, r := w.do(discordtest.Interaction{GuildID: guild, User: user(who), CommandName: name, Options: opts})
	return r
}

func (w *world) click(who, customID string, msg *discordgo.Message) discordtest.Response {
	w.t.Helper()
	_, r := w.do(discordtest.Interaction{User: user(who), CustomID: customID, Message: msg})
	return r
}

func str(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
	return discordtest.StringOpt(name, v)
}

// buttons returns the custom ids of the response's buttons and selects.
func buttons(r discordtest.Response) []string {
	var out []string
	for _, row := range r.Data.Components {
		ar, ok := row.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, c := range ar.Components {
			switch x := c.(type) {
			case *discordgo.Button:
				out = append(out, x.CustomID)
			case *discordgo.SelectMenu:
				out = append(out, x.CustomID)
			}
		}
	}
	return out
}

func countCmd(g *gameServer, prefix string) int {
	n := 0
	for _, c := range g.rc.Commands() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func eos(n int) string { return fmt.Sprintf("0002%028x", n) }

// holdClock is the countdowns' clock: real time, except while held, when it
// stands still. A countdown minute is 150 ms in these tests, so a busy
// machine could otherwise run a countdown out (or past its first warning)
// before the test has looked; held, a countdown warns and waits until the
// test releases the clock. Time never jumps: after a hold it goes on from
// where it stood.
type holdClock struct {
	mu     sync.Mutex
	held   bool
	at     time.Time     // the time while held
	behind time.Duration // how far it runs behind real time (the holds so far)
}

func (c *holdClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		return c.at
	}
	return time.Now().Add(-c.behind)
}

// Hold stops the clock.
func (c *holdClock) Hold() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.held {
		c.at, c.held = time.Now().Add(-c.behind), true
	}
}

// Release lets the clock run on from where it stood.
func (c *holdClock) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		c.behind, c.held = time.Since(c.at), false
	}
}
