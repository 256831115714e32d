package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
)

// The sandbox guild. IDs are fixed so transcripts are comparable between
// runs; they are snowflake-shaped like Discord's.
const (
	sbGuildID      = "1200000000000000001"
	sbRoleAdmin    = "1200000000000000101"
	sbRoleStaff    = "1200000000000000102"
	sbRolePlayer   = "1200000000000000103"
	sbUserAdmin    = "1200000000000000201"
	sbUserStaff    = "1200000000000000202"
	sbUserPlayer   = "1200000000000000203"
	sbChanGeneral  = "1200000000000000301"
	sbChanBridge   = "1200000000000000302"
	sbChanTickets  = "1200000000000000303"
	sbChanAdminLog = "1200000000000000304"
	sbChanDonLog   = "1200000000000000305"
	sbChanTickLog  = "1200000000000000306"
)

// sandboxToken is the made-up Discord token of a sandbox bot.
func sandboxToken(k bots.BotKind) string { return "sandbox-" + string(k) + "-token-not-a-secret" }

// sandboxServer is one fake game server: a Nitrado service and its RCON.
type sandboxServer struct {
	id       int64
	name     string
	mapName  string
	cluster  string
	password string
	rcon     *rcontest.Server
	savePath string // remote path of the world save on the Nitrado file server
}

// sandbox is one run: the fakes, the appliance and the transcript.
type sandbox struct {
	opts sandboxOptions
	dir  string
	out  *transcript
	log  *slog.Logger

	discord  *discordtest.Server
	bots     map[bots.BotKind]discordtest.Bot
	botKinds map[string]bots.BotKind // bot user id -> kind
	guild    discordtest.Guild
	users    map[string]*discordgo.User // "admin", "staff", "player"
	nitrado  *nitradotest.Server
	servers  []*sandboxServer

	app      *appliance
	httpAddr string
	cancel   context.CancelFunc
	done     chan error

	seenMsgs map[string]bool // channel messages already in the transcript
}

func (sb *sandbox) say(format string, args ...any) { sb.out.line(fmt.Sprintf(format, args...)) }

// secrets are the strings that must never reach the transcript.
func (sb *sandbox) secrets() []string {
	var s []string
	for _, b := range sb.bots {
		s = append(s, b.Token)
	}
	if sb.nitrado != nil {
		s = append(s, sb.nitrado.Token())
	}
	for _, srv := range sb.servers {
		s = append(s, srv.password)
	}
	return s
}

func (sb *sandbox) startFakes(ctx context.Context) error {
	sb.seenMsgs = map[string]bool{}
	dopts := discordtest.Options{
		// The appliance acknowledges within DeferAfter (2 s); a generous
		// deadline keeps a loaded machine from failing the run.
		AckDeadline: discordtest.LoadedAckDeadline,
	}
	if sb.opts.verbose {
		dopts.Logf = func(format string, args ...any) { sb.log.Info("discord fake: " + fmt.Sprintf(format, args...)) }
	}
	sb.discord = discordtest.New(dopts)
	sb.bots, sb.botKinds = map[bots.BotKind]discordtest.Bot{}, map[string]bots.BotKind{}
	for _, k := range bots.Kinds() {
		b := sb.discord.AddBot(sandboxToken(k))
		sb.bots[k], sb.botKinds[b.UserID] = b, k
	}
	sb.users = map[string]*discordgo.User{
		"admin":  {ID: sbUserAdmin, Username: "admin", GlobalName: "Ada Admin"},
		"staff":  {ID: sbUserStaff, Username: "staff", GlobalName: "Sam Staff"},
		"player": {ID: sbUserPlayer, Username: "player", GlobalName: "Pat Player"},
	}
	text := discordgo.ChannelTypeGuildText
	cat := discordgo.ChannelTypeGuildCategory
	sb.guild = sb.discord.AddGuild(discordtest.Guild{ID: sbGuildID, Name: "Bliss Sandbox", OwnerID: sbUserAdmin,
		Roles: []*discordgo.Role{
			{ID: sbRoleAdmin, Name: "Admin", Permissions: discordgo.PermissionAdministrator, Position: 3},
			{ID: sbRoleStaff, Name: "Staff", Position: 2},
			{ID: sbRolePlayer, Name: "Player", Position: 1},
		},
		Channels: []*discordgo.Channel{
			{ID: sbChanGeneral, Name: "general", Type: text, Position: 0},
			{ID: sbChanBridge, Name: "Chat Bridge", Type: cat, Position: 1},
			{ID: sbChanTickets, Name: "Tickets", Type: cat, Position: 2},
			{ID: sbChanAdminLog, Name: "admin-log", Type: text, Position: 3},
			{ID: sbChanDonLog, Name: "donation-log", Type: text, Position: 4},
			{ID: sbChanTickLog, Name: "ticket-log", Type: text, Position: 5},
		},
		Members: []*discordgo.Member{
			{User: sb.users["admin"], Roles: []string{sbRoleAdmin}},
			{User: sb.users["staff"], Roles: []string{sbRoleStaff}},
			{User: sb.users["player"], Roles: []string{sbRolePlayer}},
		}})
	for _, k := range bots.Kinds() {
		if k == bots.GP { // not invited yet: /setup offers its invite link
			continue
		}
		if err := sb.discord.AddBotToGuild(sb.bots[k], sb.guild.ID); err != nil {
			return fmt.Errorf("discord fake: %w", err)
		}
	}

	sb.nitrado = nitradotest.NewServer(nitradotest.Options{})
	saves := filepath.Join(sb.dir, "fakes")
	if err := os.MkdirAll(saves, 0o700); err != nil {
		return err
	}
	defs := []struct {
		id                  int64
		name, mapName, clus string
		seed                uint64
		players             []rcontest.Player
		chat                []string
	}{
		{1001, "Ragnarok", "Ragnarok_WP", "main", 1,
			[]rcontest.Player{{Name: "RexRider", EOSID: "0002a1b2c3d4e5f60718293a4b5c6d7e"}, {Name: "Wyvernqueen", EOSID: "0002f0e1d2c3b4a5968778695a4b3c2d"}},
			[]string{"RexRider (Rexy): anyone up for a drake run?", "SERVER: Server will save in 5 minutes"}},
		{1002, "Lost Colony", "LostColony_WP", "main", 2,
			[]rcontest.Player{{Name: "Colonist7", EOSID: "000211223344556677889900aabbccdd"}},
			[]string{"Colonist7 (Mira): base is up at 42/58"}},
	}
	for _, d := range defs {
		pw := fmt.Sprintf("sandbox-rcon-%d-password", d.id)
		rc, err := rcontest.New(rcontest.Options{Password: pw})
		if err != nil {
			return err
		}
		srv := &sandboxServer{id: d.id, name: d.name, mapName: d.mapName, cluster: d.clus, password: pw, rcon: rc}
		sb.servers = append(sb.servers, srv)
		rc.SetPlayers(d.players...)
		rc.AddChat(d.chat...)
		port, err := portOf(rc.Addr())
		if err != nil {
			return err
		}
		username := fmt.Sprintf("ni%d_1", d.id)
		gamePath := "/games/" + username + "/ftproot/arksa/"
		sb.nitrado.AddService(nitradotest.Service{ID: d.id, Name: "Bliss Sandbox " + d.name, Map: d.mapName,
			IP: "127.0.0.1", RCONPort: port, RCONPassword: pw, Username: username, GamePath: gamePath,
			PlayerCurrent: len(d.players)})
		// Nitrado's own schedule (set up in its web interface): a daily
		// restart at 04:00 Berlin time, shown by /server info.
		sb.nitrado.SetTasks(d.id, nitradotest.Task{Minute: "0", Hour: "4", Timezone: "Europe/Berlin", NextRun: nextDaily(time.Now(), 4, "Europe/Berlin")})

		local := filepath.Join(saves, fmt.Sprintf("%d-%s.ark", d.id, d.mapName))
		save := arksavetest.Generate(arksavetest.Counts{Seed: d.seed, Map: d.mapName, Players: 4, Tribes: 2, TamedDinos: 6, WildDinos: 4, Structures: 160})
		// Saved now (the file's mtime), so decay dates and last logins are
		// relative to this run's clock, not to the generator's fixed date.
		save.SavedAt = time.Now().UTC().Truncate(time.Second)
		if err := arksavetest.Write(local, save, arksavetest.Options{Seed: d.seed, FillerRows: 8}); err != nil {
			return fmt.Errorf("synthetic save: %w", err)
		}
		srv.savePath = path.Join(gamePath, "ShooterGame/Saved/SavedArks", d.mapName, d.mapName+".ark")
		sb.nitrado.AddFile(d.id, srv.savePath, local)
	}
	return ctx.Err()
}

// nextDaily is the next hour:00 in zone after now (UTC when the zone is
// unknown).
func nextDaily(now time.Time, hour int, zone string) time.Time {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	n := now.In(loc)
	next := time.Date(n.Year(), n.Month(), n.Day(), hour, 0, 0, 0, loc)
	if !next.After(n) {
		next = time.Date(n.Year(), n.Month(), n.Day()+1, hour, 0, 0, 0, loc)
	}
	return next
}

func portOf(addr string) (int, error) {
	i := strings.LastIndexByte(addr, ':')
	var port int
	if _, err := fmt.Sscanf(addr[i+1:], "%d", &port); i < 0 || err != nil {
		return 0, fmt.Errorf("bad address %q", addr)
	}
	return port, nil
}

// config is the appliance's configuration: everything points at the fakes.
func (sb *sandbox) config() (*config.Config, error) {
	env := []string{
		"BLISS_STATE_DIR=" + filepath.Join(sb.dir, "state"),
		"BLISS_HTTP_ADDR=127.0.0.1:0",
		"BLISS_NITRADO_TOKEN=" + sb.nitrado.Token(),
		"BLISS_NITRADO_URL=" + sb.nitrado.URL(),
		"BLISS_NITRADO_RATE=50",
		"BLISS_GUILD_IDS=" + sb.guild.ID,
		"BLISS_PARSE_WORKERS=2",
		"BLISS_SHUTDOWN_TIMEOUT=25s", // the most config accepts (the unit stops at 30 s)
	}
	for _, k := range bots.Kinds() {
		up := "BLISS_" + strings.ToUpper(string(k))
		env = append(env, up+"_TOKEN="+sb.bots[k].Token, up+"_APP_ID="+sb.bots[k].AppID)
	}
	cfg, err := config.Load("", env)
	if err != nil {
		return nil, err
	}
	return cfg, cfg.Validate()
}

// startAppliance runs the real appliance until stop, with the bots' REST
// and gateway traffic going to the Discord fake (whose transport refuses
// every other host).
func (sb *sandbox) startAppliance(ctx context.Context) error {
	cfg, err := sb.config()
	if err != nil {
		return err
	}
	addrc := make(chan string, 1)
	sb.app = &appliance{cfg: cfg, log: sb.log,
		ready:   func(addr string) { addrc <- addr },
		discord: discordTransport{newHTTPClient: sb.discord.HTTPClient, newDialer: sb.discord.Dialer}}
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sb.cancel, sb.done = cancel, make(chan error, 1)
	go func() { sb.done <- sb.app.run(actx) }()
	wait, wcancel := context.WithTimeout(ctx, 2*sb.opts.stepTimeout)
	defer wcancel()
	select {
	case sb.httpAddr = <-addrc:
		return nil
	case err := <-sb.done:
		sb.done <- err // stop reads it again
		return fmt.Errorf("appliance did not start: %w", err)
	case <-wait.Done():
		return fmt.Errorf("appliance did not start: %w", wait.Err())
	}
}

// stop cancels the appliance, waits for it (the bot sessions close inside
// run), then closes the fakes.
func (sb *sandbox) stop() error {
	var err error
	if sb.cancel != nil {
		sb.cancel()
		if rerr := <-sb.done; rerr != nil {
			err = fmt.Errorf("appliance: %w", rerr)
		}
		sb.cancel = nil
	}
	return errors.Join(err, sb.closeFakes())
}

func (sb *sandbox) closeFakes() error {
	var errs []error
	if sb.discord != nil {
		sb.discord.Close()
		sb.discord = nil
	}
	if sb.nitrado != nil {
		sb.nitrado.Close()
	}
	for _, s := range sb.servers {
		if s.rcon != nil {
			errs = append(errs, s.rcon.Close())
		}
	}
	return errors.Join(errs...)
}
