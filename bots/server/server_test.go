package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/app/serverstore"
	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/server"
	"github.com/blissark/bliss/storage"
)

// snapshot writes a save snapshot for server id: n players named
// prefix+NN (one "Zoë"), a tribe per 5 players, 3 dinos per player, and a
// base per tribe decaying i hours after now.
func (w *world) snapshot(id int64, run, prefix string, n int, now time.Time) {
	w.t.Helper()
	s := &storage.Snapshot{Info: storage.SnapshotInfo{ServerID: id, RunID: run, Map: "TheIsland_WP", SavedAt: now.Add(-10 * time.Minute)}}
	for i := range n {
		name := fmt.Sprintf("%s %02d", prefix, i)
		if i == 7 {
			name = "Zoë"
		}
		tribe := int64(5000 + i/5)
		s.Players = append(s.Players, arksave.Player{PlayerDataID: uint64(id*1000 + int64(i)), EOSID: eos(int(id)*1000 + i),
			PlatformName: "p" + name, CharacterName: name, Level: 50 + i, TribeID: tribe, TribeName: fmt.Sprintf("%s Tribe %d", prefix, i/5),
			Location: &arksave.Location{Lat: 50, Lon: 40, HasLatLon: true}})
		for k := range 3 {
			d := arksave.Dino{DinoID: uint64(i*3 + k + 1), Class: []string{"Rex_Character_BP_C", "Raptor_Character_BP_C", "Argent_Character_BP_C"}[k],
				Name: fmt.Sprintf("pet %d", i*3+k), Level: 100 + i + k, TribeID: tribe, TribeName: fmt.Sprintf("%s Tribe %d", prefix, i/5)}
			d.ID[0], d.ID[1] = byte(i), byte(k)
			s.Dinos = append(s.Dinos, d)
		}
	}
	for t := range (n + 4) / 5 {
		s.Tribes = append(s.Tribes, arksave.Tribe{ID: int64(5000 + t), Name: fmt.Sprintf("%s Tribe %d", prefix, t), Members: []string{"a", "b"}})
		s.Bases = append(s.Bases, storage.Base{Owner: int64(5000 + t), OwnerName: fmt.Sprintf("%s Tribe %d", prefix, t), Structures: 100 + t,
			ByMaterial: map[string]int{"stone": 80, "wood": 20 + t}, DecayTier: "stone",
			Center: arksave.Location{Lat: 20, Lon: 30, HasLatLon: true}, DecaysAt: now.Add(time.Duration(t*10+1) * time.Hour)})
	}
	if err := w.db.ReplaceSnapshot(context.Background(), s); err != nil {
		w.t.Fatal(err)
	}
}

// standard: guild A has a 3-server cluster "pvp" with two players online
// on Island, guild B one server; both have snapshots.
func standard(t *testing.T) *world {
	w := newWorld(t)
	w.addServer(w.guildA.ID, 101, "Island", "pvp", rcontest.Player{Name: "Alice", EOSID: eos(1)},
		rcontest.Player{Name: "Bob <@123> @everyone", EOSID: eos(2)})
	w.addServer(w.guildA.ID, 102, "Scorched", "pvp")
	w.addServer(w.guildA.ID, 103, "Center", "pvp")
	w.addServer(w.guildB.ID, 201, "B-Island", "", rcontest.Player{Name: "Bravo", EOSID: eos(9)})
	now := time.Now()
	w.snapshot(101, "r1", "Player", 25, now)
	w.snapshot(201, "r1", "Bravo", 6, now)
	return w
}

func refused(r discordtest.Response) bool {
	return strings.Contains(bottest.Text(r), "needs a staff role")
}

func TestE2EModerationAudited(t *testing.T) {
	w := standard(t)
	w.start()
	island := w.servers[101]

	// /players: a player sees names, staff also EOS ids and kick/ban menus.
	r := w.cmd(playerA, "players")
	if !strings.Contains(bottest.Text(r), "Alice") || strings.Contains(bottest.Text(r), eos(1)) || len(buttons(r)) != 0 {
		t.Fatalf("/players for a player: %s", bottest.Text(r))
	}
	if strings.Contains(bottest.Text(r), "<@123>") || strings.Contains(bottest.Text(r), "@everyone") {
		t.Fatalf("mention not neutralised: %s", bottest.Text(r))
	}
	r = w.cmd(staffA, "players")
	if !strings.Contains(bottest.Text(r), eos(1)) || len(buttons(r)) != 2 || !r.Ephemeral() {
		t.Fatalf("/players for staff: %s", bottest.Text(r))
	}

	// /rcon: a multi-line command reaches RCON as one line; output is
	// neutralised.
	island.rc.Handle("echo", func(args string) string { return "@everyone <@&555> " + args + "\n```break```" })
	r = w.cmd(adminA, "rcon", str("server", "101"), str("command", "echo hi\nDoExit\x00\x07"))
	got := island.rc.Commands()
	last := got[len(got)-1]
	if last != "echo hi DoExit" {
		t.Fatalf("rcon sent %q", last)
	}
	out := r.Data.Embeds[0].Description
	if strings.Contains(out, "<@&555>") || strings.Contains(out, "\n@everyone") || strings.Count(out, "```") != 2 {
		t.Fatalf("rcon output not sanitised: %s", out)
	}

	// /kick on the whole guild, /say, /broadcast, /saveworld.
	r = w.cmd(staffA, "kick", str("player", eos(2)), str("reason", "afk"))
	if !strings.Contains(bottest.Text(r), "Island") || countCmd(island, "KickPlayer "+eos(2)) != 1 || countCmd(w.servers[103], "KickPlayer") != 1 {
		t.Fatalf("kick: %s", bottest.Text(r))
	}
	if countCmd(w.servers[201], "KickPlayer") != 0 {
		t.Fatal("kick reached another guild's server")
	}
	w.cmd(staffA, "say", str("message", "hello\nworld <@1>"))
	if countCmd(island, "ServerChat hello world") != 1 {
		t.Fatalf("say: %q", island.rc.Commands())
	}
	w.cmd(staffA, "broadcast", str("message", "wipe friday"), str("server", "cluster:pvp"))
	w.cmd(staffA, "saveworld", str("server", "102"))
	if countCmd(w.servers[102], "SaveWorld") != 1 || countCmd(island, "SaveWorld") != 0 {
		t.Fatal("saveworld target")
	}

	// A cluster ban asks first; "yes" bans everywhere with the reason.
	r = w.cmd(staffA, "ban", str("player", "alice"), str("reason", "griefing"))
	ids := buttons(r)
	if len(ids) != 2 || !strings.Contains(bottest.Text(r), "3 servers") || countCmd(island, "BanPlayer") != 0 {
		t.Fatalf("ban confirmation: %s", bottest.Text(r))
	}
	msg := &discordgo.Message{Embeds: r.Data.Embeds}
	if r := w.click(playerA, ids[0], msg); !refused(r) {
		t.Fatalf("player confirmed a ban: %s", bottest.Text(r))
	}
	r = w.click(adminA, ids[0], msg)
	for _, g := range []int64{101, 102, 103} {
		// The reason reaches the game (BanPlayer's second string).
		if countCmd(w.servers[g], "BanPlayer "+eos(1)+" griefing") != 1 {
			t.Fatalf("ban on %d: %s; sent %q", g, bottest.Text(r), w.servers[g].rc.Commands())
		}
	}
	if !strings.Contains(bottest.Text(r), "griefing") {
		t.Fatalf("ban result: %s", bottest.Text(r))
	}
	// One server: no confirmation; a reason with newlines and quotes stays
	// one line of the command.
	w.cmd(staffA, "ban", str("player", eos(2)), str("reason", "x\nDoExit \"q\""), str("server", "102"))
	if countCmd(w.servers[102], "BanPlayer "+eos(2)+" x DoExit 'q'") != 1 {
		t.Fatalf("one-server ban sent %q", w.servers[102].rc.Commands())
	}
	w.cmd(staffA, "unban", str("player", eos(1)), str("server", "101"))
	if countCmd(island, "UnbanPlayer "+eos(1)) != 1 {
		t.Fatal("unban")
	}

	// Every staff action is audited (row + admin log post); guild B has none.
	rows, err := w.db.AuditLog(context.Background(), w.guildA.ID, 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	griefing := false
	for _, a := range rows {
		actions[a.Action] = true
		griefing = griefing || a.Action == "ban" && strings.Contains(a.Detail, "griefing")
	}
	if !griefing {
		t.Fatalf("no ban audit with the reason: %+v", rows)
	}
	for _, a := range []string{"rcon", "kick", "say", "broadcast", "saveworld", "ban", "unban"} {
		if !actions[a] {
			t.Errorf("no audit row for %s: %v", a, actions)
		}
	}
	if rows, _ := w.db.AuditLog(context.Background(), w.guildB.ID, 50, 0); len(rows) != 0 {
		t.Fatalf("guild B sees audit rows: %+v", rows)
	}
	bottest.WaitFor(t, "admin log posts", func() bool { return len(w.fake.Messages(logA)) >= 7 })
	for _, m := range w.fake.Messages(logA) {
		if len(m.Embeds) == 0 {
			t.Fatalf("admin log post without embed: %+v", m)
		}
	}
}

func TestE2EClusterWithServersDown(t *testing.T) {
	w := standard(t)
	w.servers[102].pw = "wrong" // ASA ignores a wrong password: the dial times out
	w.servers[103].rc.Close()   // offline
	w.start()
	start := time.Now()
	r := w.cmd(staffA, "saveworld", str("server", "cluster:pvp"))
	took := time.Since(start)
	out := bottest.Text(r)
	if countCmd(w.servers[101], "SaveWorld") != 1 || !strings.Contains(out, "✅ **Island**") {
		t.Fatalf("healthy server not saved: %s", out)
	}
	if !strings.Contains(out, "❌ **Scorched**") || !strings.Contains(out, "❌ **Center**") {
		t.Fatalf("failures not named: %s", out)
	}
	t.Logf("cluster saveworld with two servers down answered in %s: %s", took, out)
	if took > 10*time.Second {
		t.Fatalf("took %s", took)
	}
	// /players still lists the healthy server.
	r = w.cmd(playerA, "players")
	if !strings.Contains(bottest.Text(r), "Alice") || !strings.Contains(bottest.Text(r), "Center") {
		t.Fatalf("players with servers down: %s", bottest.Text(r))
	}
	// Nitrado 429 and 503: a red embed naming the server and the cause.
	w.nit.Fail(nitradotest.Fault{Path: "/services/101/gameservers", Status: 429, Count: 1})
	r = w.cmd(staffA, "server", discordtest.SubCommand("info", str("server", "101")))
	if !strings.Contains(bottest.Text(r), "Island") || !strings.Contains(bottest.Text(r), "429") {
		t.Fatalf("429: %s", bottest.Text(r))
	}
	w.nit.Fail(nitradotest.Fault{Path: "/services/101/gameservers/stats", Status: 503, Count: 1})
	r = w.cmd(staffA, "server", discordtest.SubCommand("stats", str("server", "101")))
	if !strings.Contains(bottest.Text(r), "503") {
		t.Fatalf("503: %s", bottest.Text(r))
	}
	r = w.cmd(staffA, "server", discordtest.SubCommand("status"))
	for _, n := range []string{"Island", "Scorched", "Center"} {
		if !strings.Contains(bottest.Text(r), n) {
			t.Fatalf("status misses %s: %s", n, bottest.Text(r))
		}
	}
	r = w.cmd(staffA, "server", discordtest.SubCommand("info", str("server", "102")))
	if !strings.Contains(bottest.Text(r), "TheIsland_WP") || !strings.Contains(bottest.Text(r), "127.0.0.1:7777") {
		t.Fatalf("info: %s", bottest.Text(r))
	}
}

func TestE2ERBACMatrix(t *testing.T) {
	w := standard(t)
	w.start()
	sc := discordtest.SubCommand
	type row struct {
		name  string
		cmd   string
		opts  []*discordgo.ApplicationCommandInteractionDataOption
		staff bool
	}
	rows := []row{
		{"rcon", "rcon", []*discordgo.ApplicationCommandInteractionDataOption{str("server", "101"), str("command", "ListPlayers")}, true},
		{"players", "players", nil, false},
		{"broadcast", "broadcast", []*discordgo.ApplicationCommandInteractionDataOption{str("message", "x"), str("server", "101")}, true},
		{"say", "say", []*discordgo.ApplicationCommandInteractionDataOption{str("message", "x"), str("server", "101")}, true},
		{"kick", "kick", []*discordgo.ApplicationCommandInteractionDataOption{str("player", eos(1)), str("server", "101")}, true},
		{"ban", "ban", []*discordgo.ApplicationCommandInteractionDataOption{str("player", eos(1)), str("reason", "r"), str("server", "101")}, true},
		{"unban", "unban", []*discordgo.ApplicationCommandInteractionDataOption{str("player", eos(1)), str("server", "101")}, true},
		{"saveworld", "saveworld", []*discordgo.ApplicationCommandInteractionDataOption{str("server", "101")}, true},
		{"server info", "server", []*discordgo.ApplicationCommandInteractionDataOption{sc("info", str("server", "101"))}, true},
		{"server status", "server", []*discordgo.ApplicationCommandInteractionDataOption{sc("status")}, true},
		{"server stats", "server", []*discordgo.ApplicationCommandInteractionDataOption{sc("stats", str("server", "101"))}, true},
		{"server start", "server", []*discordgo.ApplicationCommandInteractionDataOption{sc("start", str("server", "101"))}, true},
		{"info players", "info", []*discordgo.ApplicationCommandInteractionDataOption{sc("players")}, false},
		{"info player", "info", []*discordgo.ApplicationCommandInteractionDataOption{sc("player", str("name", "Zoe"))}, false},
		{"info tribes", "info", []*discordgo.ApplicationCommandInteractionDataOption{sc("tribes")}, false},
		{"info tribe", "info", []*discordgo.ApplicationCommandInteractionDataOption{sc("tribe", str("tribe", "player tribe 1"))}, false},
		{"info dinos", "info", []*discordgo.ApplicationCommandInteractionDataOption{sc("dinos", str("species", "rex"))}, false},
		{"info bases", "info", []*discordgo.ApplicationCommandInteractionDataOption{sc("bases")}, false},
		{"info decay", "info", []*discordgo.ApplicationCommandInteractionDataOption{sc("decay")}, true},
		{"info structures", "info", []*discordgo.ApplicationCommandInteractionDataOption{sc("structures", str("tribe", "player tribe 2"))}, false},
		{"info online", "info", []*discordgo.ApplicationCommandInteractionDataOption{sc("online")}, false},
		{"info playtime", "info", []*discordgo.ApplicationCommandInteractionDataOption{sc("playtime", str("player", eos(1)))}, false},
	}
	for _, x := range rows {
		// A player: refused exactly on staff commands.
		r := w.cmd(playerA, x.cmd, x.opts...)
		if refused(r) != x.staff {
			t.Errorf("%s by player: refused=%v: %s", x.name, refused(r), bottest.Text(r))
		}
		// Staff (configured role) and administrator: allowed.
		for _, who := range []string{staffA, adminA} {
			if r := w.cmd(who, x.cmd, x.opts...); refused(r) || strings.Contains(bottest.Text(r), "Internal error") {
				t.Errorf("%s by %s: %s", x.name, who, bottest.Text(r))
			}
		}
		// The other guild's administrator never reaches guild A's servers
		// or data.
		r = w.cmdIn(w.guildB.ID, adminB, x.cmd, x.opts...)
		if o := bottest.Text(r); strings.Contains(o, "Scorched") || strings.Contains(o, "Alice") || strings.Contains(o, "Player 0") || strings.Contains(o, "Zoë") {
			t.Errorf("%s by the other guild leaks guild A: %s", x.name, o)
		}
	}
	// Buttons and selects: refused to a player, honoured for staff, and the
	// other guild cannot cancel guild A's countdown (the countdowns' clock
	// stands still meanwhile: 30 minutes are 4.5 s here, which the clicks
	// below can take on a busy machine).
	w.clock.Hold()
	w.cmd(staffA, "server", sc("restart", str("server", "101"), discordtest.IntOpt("minutes", 30)))
	var ann *discordgo.Message // the "server start" rows had the first ids
	for id := int64(1); id < 6 && ann == nil; id++ {
		ann = announcement(w, id)
	}
	if ann == nil {
		dumpMessages(t, w, chanA)
		t.Fatal("no countdown announcement")
	}
	cancelID := messageButtons(ann)[0]
	for _, id := range []string{"srvban:yes:" + eos(1) + ":all", "srvsel:kick:all", cancelID, "pg:idc:|72:1", "pg:rcn:00aa00aa00aa:1"} {
		if r := w.click(playerA, id, nil); !refused(r) {
			t.Errorf("player used %s: %s", id, bottest.Text(r))
		}
	}
	if r := w.do2(w.guildB.ID, adminB, cancelID); !strings.Contains(bottest.Text(r), "Nothing to cancel") {
		t.Errorf("guild B cancelled guild A's countdown: %s", bottest.Text(r))
	}
	if r := w.click(staffA, cancelID, nil); !strings.Contains(bottest.Text(r), "cancelled") {
		t.Errorf("staff cancel: %s", bottest.Text(r))
	}
	w.clock.Release()
	if r := w.click(staffA, "srvsel:kick:101", &discordgo.Message{}); !strings.Contains(bottest.Text(r), "Pick one player") {
		t.Errorf("empty select: %s", bottest.Text(r))
	}
}

func (w *world) do2(guild, who, customID string) discordtest.Response {
	_, r := w.do(discordtest.Interaction{GuildID: guild, User: user(who), CustomID: customID})
	return r
}

func TestE2ECountdowns(t *testing.T) {
	w := standard(t)
	stop := w.start()
	sc := discordtest.SubCommand
	restarts := func() int { return w.nit.CountCalls("POST", "/services/*/gameservers/restart") }

	// Cancelled: warnings went out, the cancel is announced, no restart.
	// The countdown is announced in the channel with the Cancel button; the
	// staff member's own reply is a short ephemeral note. The countdowns'
	// clock stands still until the countdown that survives the appliance
	// restart below: warnings are then exact and nothing fires before the
	// test has clicked, however late the busy machine runs the runner.
	w.clock.Hold()
	r := w.cmd(staffA, "server", sc("restart", str("server", "101"), discordtest.IntOpt("minutes", 3), str("reason", "mods")))
	if !strings.Contains(bottest.Text(r), "Countdown #1 scheduled") || !r.Ephemeral() {
		t.Fatalf("restart: %s", bottest.Text(r))
	}
	ann := announcement(w, 1)
	if ann == nil || len(messageButtons(ann)) != 1 || !strings.Contains(ann.Embeds[0].Title, "Restart scheduled") {
		dumpMessages(t, w, chanA)
		t.Fatal("no announcement with a Cancel button")
	}
	// The first warning names the minutes left.
	bottest.WaitFor(t, "first warning", func() bool {
		return countCmd(w.servers[101], "ServerChat Server restart in 3 minutes. Reason: mods") == 1
	}, func() {
		cs, err := w.countdowns().ActiveCountdowns(context.Background())
		t.Logf("sent to 101: %q; active %+v %v", w.servers[101].rc.Commands(), cs, err)
	})
	if r := w.click(playerA, messageButtons(ann)[0], ann); !refused(r) {
		t.Fatalf("a player cancelled: %s", bottest.Text(r))
	}
	w.click(adminA, messageButtons(ann)[0], ann)
	bottest.WaitFor(t, "cancel notice", func() bool { return countCmd(w.servers[101], "ServerChat The server restart was cancelled") == 1 })
	if ann := announcement(w, 1); ann == nil || len(messageButtons(ann)) != 0 {
		t.Fatal("the cancelled countdown's announcement still has its button")
	}

	// A countdown survives an appliance restart and fires once.
	r = w.cmd(staffA, "server", sc("restart", str("server", "102"), discordtest.IntOpt("minutes", 2)))
	if ann := announcement(w, 2); ann == nil || len(messageButtons(ann)) != 1 {
		t.Fatal("no announcement for countdown #2")
	}
	// The warning is sent, then recorded: the appliance stops once it is
	// recorded, so the restarted runner must not repeat it.
	bottest.WaitFor(t, "warning recorded", func() bool {
		c, err := w.countdowns().GetCountdown(context.Background(), 2)
		return err == nil && c.Warned == 2 && countCmd(w.servers[102], "ServerChat Server restart in 2 minutes.") == 1
	})
	stop()
	w.start()
	if n := countCmd(w.servers[102], "SaveWorld"); n != 0 {
		t.Fatalf("fired while the clock stood still: %q", w.servers[102].rc.Commands())
	}
	w.clock.Release()
	bottest.WaitFor(t, "restart after the appliance restart", func() bool {
		return w.nit.CountCalls("POST", "/services/102/gameservers/restart") == 1 && hasMessage(w, chanA, "Restart #2 finished")
	}, func() {
		dumpMessages(t, w, chanA)
		cs, _ := w.countdowns().ActiveCountdowns(context.Background())
		t.Logf("active: %+v; restarts %d", cs, restarts())
	})
	if n := countCmd(w.servers[102], "ServerChat Server restart in 2 minutes."); n != 1 {
		t.Fatalf("the 2-minute warning was sent %d times across the appliance restart", n)
	}
	if countCmd(w.servers[102], "SaveWorld") != 1 || w.nit.CountCalls("POST", "/services/101/gameservers/restart") != 0 {
		t.Fatalf("saveworld %d, cancelled one restarted %d", countCmd(w.servers[102], "SaveWorld"), restarts())
	}
	// The announcement of the countdown that survived the restart shows the
	// result, without its Cancel button.
	bottest.WaitFor(t, "announcement updated", func() bool {
		ann := announcement(w, 2)
		return ann != nil && len(messageButtons(ann)) == 0 && strings.Contains(ann.Embeds[0].Title, "Restart #2 finished")
	}, func() { dumpMessages(t, w, chanA) })
	// A cluster restart goes server by server, in the guild's order
	// (cluster, name).
	// Nitrado answers 429 for one of them: the others are still restarted
	// and the result names the failure.
	w.nit.ResetCalls()
	w.nit.Fail(nitradotest.Fault{Method: "POST", Path: "/services/101/gameservers/restart", Status: 429, Count: 1})
	w.cmd(staffA, "server", sc("restart", str("server", "cluster:pvp"), discordtest.IntOpt("minutes", 0)))
	bottest.WaitFor(t, "cluster restart", func() bool { return restarts() == 3 && hasMessage(w, chanA, "Restart #3 had failures") },
		func() { dumpMessages(t, w, chanA) })
	if s, _ := w.nit.Service(102); s.Status != "started" || !messageHas(w, chanA, "Island: restart failed") {
		dumpMessages(t, w, chanA)
		t.Fatal("429 not reported, or the next server not restarted")
	}
	var order []string
	for _, c := range w.nit.Calls() {
		if c.Method == "POST" {
			order = append(order, c.Path)
		}
	}
	if strings.Join(order, ",") != "/services/103/gameservers/restart,/services/101/gameservers/restart,/services/102/gameservers/restart" {
		t.Fatalf("order: %v", order)
	}
	// Stop, then start.
	w.cmd(staffA, "server", sc("stop", str("server", "103"), discordtest.IntOpt("minutes", 0)))
	bottest.WaitFor(t, "stopped", func() bool { return hasMessage(w, chanA, "Stop #4 finished") })
	if s, _ := w.nit.Service(103); s.Status != "stopped" {
		t.Fatalf("status %q", s.Status)
	}
	w.cmd(staffA, "server", sc("start", str("server", "103")))
	bottest.WaitFor(t, "started", func() bool { return hasMessage(w, chanA, "Start #5 finished") })
	// /server info names the next scheduled restart (here a Bliss
	// countdown: the fake's Nitrado schedule is empty; see
	// TestE2EServerInfoNitradoSchedule for Nitrado's own tasks).
	w.cmd(staffA, "server", sc("restart", str("server", "103"), discordtest.IntOpt("minutes", 30)))
	if got := bottest.Text(w.cmd(staffA, "server", sc("info", str("server", "103")))); !strings.Contains(got, "Next scheduled restart") ||
		!strings.Contains(got, "countdown #6") {
		t.Fatalf("server info 103: %s", got)
	}
	if got := bottest.Text(w.cmd(staffA, "server", sc("info", str("server", "101")))); !strings.Contains(got, "none scheduled") {
		t.Fatalf("server info 101: %s", got)
	}
	if got := bottest.Text(w.cmdIn(w.guildB.ID, adminB, "server", sc("info", str("server", "201")))); !strings.Contains(got, "none scheduled") {
		t.Fatalf("server info of guild B: %s", got)
	}
	ann = announcement(w, 6)
	w.click(staffA, messageButtons(ann)[0], ann)
	if got := bottest.Text(w.cmd(staffA, "server", sc("info", str("server", "103")))); !strings.Contains(got, "none scheduled") {
		t.Fatalf("server info 103 after the cancel: %s", got)
	}
}

// announcement is the channel message announcing countdown id, found by
// its footer while it runs and by its id afterwards (the final edit drops
// the footer).
func announcement(w *world, id int64) *discordgo.Message {
	w.annMu.Lock()
	defer w.annMu.Unlock()
	if w.ann == nil {
		w.ann = map[int64]string{}
	}
	for _, m := range w.fake.Messages(chanA) {
		if w.ann[id] == m.ID {
			return m
		}
		for _, e := range m.Embeds {
			if w.ann[id] == "" && e.Footer != nil && strings.HasPrefix(e.Footer.Text, fmt.Sprintf("countdown #%d ", id)) {
				w.ann[id] = m.ID
				return m
			}
		}
	}
	return nil
}

func messageButtons(m *discordgo.Message) []string {
	var out []string
	for _, row := range m.Components {
		if ar, ok := row.(*discordgo.ActionsRow); ok {
			for _, c := range ar.Components {
				if b, ok := c.(*discordgo.Button); ok {
					out = append(out, b.CustomID)
				}
			}
		}
	}
	return out
}

func hasMessage(w *world, ch, sub string) bool {
	for _, m := range w.fake.Messages(ch) {
		for _, e := range m.Embeds {
			if strings.Contains(e.Title, sub) {
				return true
			}
		}
	}
	return false
}

func messageHas(w *world, ch, sub string) bool {
	for _, m := range w.fake.Messages(ch) {
		for _, e := range m.Embeds {
			if strings.Contains(e.Description, sub) {
				return true
			}
		}
	}
	return false
}

func dumpMessages(t *testing.T, w *world, ch string) {
	for _, m := range w.fake.Messages(ch) {
		for _, e := range m.Embeds {
			t.Logf("message in %s: %s | %s", ch, e.Title, e.Description)
		}
	}
}

func TestE2EInfoPaginationAfterRestart(t *testing.T) {
	w := standard(t)
	stop := w.start()
	sc := discordtest.SubCommand
	r := w.cmd(playerA, "info", sc("players"))
	if !strings.Contains(bottest.Text(r), "Page 1 of 3") || !strings.Contains(bottest.Text(r), `Save of \u003ct:`) {
		t.Fatalf("page 1: %s", bottest.Text(r))
	}
	next := buttons(r)[2]
	stop()
	w.start()
	r = w.click(playerA, next, nil)
	if r.Type != discordgo.InteractionResponseUpdateMessage || !strings.Contains(bottest.Text(r), "Page 2 of 3") {
		t.Fatalf("page 2 after restart: %v %s", r.Type, bottest.Text(r))
	}
	// Filters are case- and accent-insensitive.
	if r := w.cmd(playerA, "info", sc("players", str("search", "ZOE"))); !strings.Contains(bottest.Text(r), "Zoë") || !strings.Contains(bottest.Text(r), "1 results") {
		t.Fatalf("accent search: %s", bottest.Text(r))
	}
	if r := w.cmd(playerA, "info", sc("player", str("name", "zoe"))); !strings.Contains(bottest.Text(r), "Zoë") || strings.Contains(bottest.Text(r), eos(101007)) {
		t.Fatalf("info player: %s", bottest.Text(r))
	}
	if r := w.cmd(playerA, "info", sc("dinos", str("species", "REX"), discordtest.IntOpt("min_level", 120))); !strings.Contains(bottest.Text(r), "Rex") || strings.Contains(bottest.Text(r), "Raptor") {
		t.Fatalf("dinos: %s", bottest.Text(r))
	}
	if r := w.cmd(staffA, "info", sc("decay", discordtest.IntOpt("within", 24))); !strings.Contains(bottest.Text(r), "Decaying within 24 h") || !strings.Contains(bottest.Text(r), "3 results") {
		t.Fatalf("decay: %s", bottest.Text(r))
	}
	if r := w.cmd(playerA, "info", sc("tribe", str("tribe", "player tribe 0"))); !strings.Contains(bottest.Text(r), "Rex ×5") {
		t.Fatalf("tribe: %s", bottest.Text(r))
	}
	// Decay times are for staff only (in PvP they tell raiders when).
	if r := w.cmd(playerA, "info", sc("bases")); strings.Contains(bottest.Text(r), "decays") || !strings.Contains(bottest.Text(r), "structures") {
		t.Fatalf("player sees decay: %s", bottest.Text(r))
	}
	// /info bases may be answered publicly (a deferred reply): no decay
	// times for anyone; staff read them in /info decay, always ephemeral.
	if r := w.cmd(staffA, "info", sc("bases")); strings.Contains(bottest.Text(r), "decays") {
		t.Fatalf("staff bases: %s", bottest.Text(r)[:min(len(bottest.Text(r)), 300)])
	}
	// The once-per-snapshot decay post.
	d := server.DecayDeps{Store: w.store, Info: serverstore.Info{DB: w.db}, Marks: w.db, Post: w.post}
	for range 2 {
		if err := server.CheckDecay(context.Background(), d, []string{w.guildA.ID, w.guildB.ID}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, m := range w.fake.Messages(logA) {
		if len(m.Embeds) > 0 && strings.Contains(m.Embeds[0].Title, "decaying within 24 h") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d decay posts", n)
	}
}

func TestE2ETwoGuildsIsolated(t *testing.T) {
	w := standard(t)
	w.start()
	sc := discordtest.SubCommand
	r := w.cmdIn(w.guildB.ID, adminB, "players")
	if !strings.Contains(bottest.Text(r), "Bravo") || strings.Contains(bottest.Text(r), "Alice") {
		t.Fatalf("B players: %s", bottest.Text(r))
	}
	r = w.cmdIn(w.guildB.ID, adminB, "info", sc("players"))
	if !strings.Contains(bottest.Text(r), "Bravo 01") || strings.Contains(bottest.Text(r), "Player 0") {
		t.Fatalf("B info: %s", bottest.Text(r))
	}
	r = w.cmdIn(w.guildB.ID, adminB, "rcon", str("server", "101"), str("command", "DoExit"))
	if !strings.Contains(bottest.Text(r), "No server") || countCmd(w.servers[101], "DoExit") != 0 {
		t.Fatalf("B reached A's server: %s", bottest.Text(r))
	}
	r = w.cmdIn(w.guildB.ID, adminB, "kick", str("player", "Alice"))
	if countCmd(w.servers[101], "KickPlayer") != 0 {
		t.Fatalf("B kicked on A: %s", bottest.Text(r))
	}
	// Autocomplete only offers the guild's own servers and players.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := w.fake.Interact(ctx, w.bot, discordtest.Interaction{Type: discordgo.InteractionApplicationCommandAutocomplete,
		GuildID: w.guildB.ID, ChannelID: chanB, User: user(adminB), CommandName: "kick",
		Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.Focused(str("player", ""))}})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := h.WaitFinal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o := bottest.Text(ar); !strings.Contains(o, "Bravo") || strings.Contains(o, "Alice") || strings.Contains(o, "Player") {
		t.Fatalf("B autocomplete: %s", o)
	}
	h, err = w.fake.Interact(ctx, w.bot, discordtest.Interaction{Type: discordgo.InteractionApplicationCommandAutocomplete,
		GuildID: w.guildA.ID, ChannelID: chanA, User: user(staffA), CommandName: "rcon",
		Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.Focused(str("server", ""))}})
	if err != nil {
		t.Fatal(err)
	}
	if ar, err = h.WaitFinal(ctx); err != nil || !strings.Contains(bottest.Text(ar), "Cluster pvp") || strings.Contains(bottest.Text(ar), "B-Island") {
		t.Fatalf("A server autocomplete: %s %v", bottest.Text(ar), err)
	}
}

// TestE2ERCONPages: /rcon output is paginated (a page per server, long
// output over several pages), ephemeral; the pages never re-run the
// command, are not served to another guild, and say "expired" after an
// appliance restart.
func TestE2ERCONPages(t *testing.T) {
	w := standard(t)
	stop := w.start()
	var long strings.Builder
	for i := range 300 {
		fmt.Fprintf(&long, "line %03d of the output\n", i)
	}
	for _, id := range []int64{101, 102, 103} {
		w.servers[id].rc.Handle("dump", func(string) string {
			if id == 101 {
				return long.String()
			}
			return "short"
		})
	}
	r := w.cmd(adminA, "rcon", str("server", "cluster:pvp"), str("command", "dump"))
	ids := buttons(r)
	if !r.Ephemeral() || len(ids) != 3 || !strings.Contains(bottest.Text(r), `"title":"Center"`) || !strings.Contains(bottest.Text(r), `1 / 6`) {
		t.Fatalf("page 1: %s", bottest.Text(r))
	}
	sent := countCmd(w.servers[101], "dump")
	// Servers in the guild's order: Center, Island (4 parts), Scorched.
	r = w.click(adminA, ids[2], nil)
	if !strings.Contains(bottest.Text(r), "Island (part 1 of 4)") || !strings.Contains(bottest.Text(r), "line 000") {
		t.Fatalf("page 2: %s", bottest.Text(r))
	}
	r = w.click(adminA, buttons(r)[2], nil)
	if !strings.Contains(bottest.Text(r), "Island (part 2 of 4)") || strings.Contains(bottest.Text(r), "line 000") {
		t.Fatalf("page 3: %s", bottest.Text(r))
	}
	if countCmd(w.servers[101], "dump") != sent {
		t.Fatal("a page click ran the command again")
	}
	// Another guild's admin with the same custom_id gets nothing.
	if r := w.do2(w.guildB.ID, adminB, ids[2]); !strings.Contains(bottest.Text(r), "expired") || strings.Contains(bottest.Text(r), "line 0") {
		t.Fatalf("guild B page: %s", bottest.Text(r))
	}
	stop()
	w.start()
	if r := w.click(adminA, ids[2], nil); !strings.Contains(bottest.Text(r), "expired") {
		t.Fatalf("after restart: %s", bottest.Text(r))
	}
}
