package server_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/serverstore"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/picture"
	"github.com/blissark/bliss/bots/server"
	"github.com/blissark/bliss/storage"
)

func decodePNG(t *testing.T, f discordtest.File) image.Image {
	t.Helper()
	if f.ContentType != "image/png" {
		t.Fatalf("%s: content type %q", f.Name, f.ContentType)
	}
	img, err := png.Decode(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return img
}

func files(r discordtest.Response) []discordtest.File { return r.Data.Files }

// rgbAt is the 8-bit colour of a pixel.
func rgbAt(img image.Image, x, y float64) (r, g, b int) {
	cr, cg, cb, _ := img.At(int(x), int(y)).RGBA()
	return int(cr >> 8), int(cg >> 8), int(cb >> 8)
}

// TestE2EPictures: /info bases attaches a map per server (decay colours for
// staff only, grey for players; a public teleport point for everyone),
// /server stats a players/CPU/memory chart, /info online a players-online
// chart from play sessions, and the decay post carries the map.
func TestE2EPictures(t *testing.T) {
	w := standard(t)
	ctx := context.Background()
	if _, err := w.db.AddTeleportPoint(ctx, storage.TeleportPoint{GuildID: w.guildA.ID, Map: "theisland", Name: "Hub",
		X: 0, Y: 0, Public: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, p := range []struct {
		eos, name string
		ago       time.Duration
		left      bool
	}{{eos(1), "Alice", 5 * time.Hour, false}, {eos(2), "Bob", 3 * time.Hour, true}, {eos(3), "Carol", 90 * time.Minute, false}} {
		if err := w.db.SessionJoin(ctx, 101+int64(i%2), p.eos, p.name, now.Add(-p.ago), storage.SessionSourceLog); err != nil {
			t.Fatal(err)
		}
		if p.left {
			if err := w.db.SessionLeave(ctx, 101+int64(i%2), p.eos, now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.start()
	sc := discordtest.SubCommand

	// Staff /info decay: the map of Island, decay colours (every base of
	// the snapshot sits at 20/30 and decays within days: red-ish).
	h, r := w.do(discordtest.Interaction{User: user(staffA), CommandName: "info", Options: []*discordgo.ApplicationCommandInteractionDataOption{sc("decay", str("server", "101"))}})
	// Ephemeral also when the slow render made the bot defer first.
	if orig := h.Original(); len(files(r)) != 1 || files(r)[0].Name != "bases-101.png" || orig == nil ||
		orig.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatalf("staff /info decay: %d files, %s", len(files(r)), bottest.Text(r)[:min(len(bottest.Text(r)), 400)])
	}
	img := decodePNG(t, files(r)[0])
	x, y := picture.MapPixel(20, 30, 0)
	if cr, cg, _ := rgbAt(img, x, y); cr < cg+60 {
		t.Fatalf("staff map: base at 20/30 is %d,%d (want red: decays soon)", cr, cg)
	}
	// /info bases (player or staff): the same map without decay (grey
	// dots; it may be answered publicly), the public teleport drawn.
	for _, who := range []string{playerA, staffA} {
		r = w.cmd(who, "info", sc("bases", str("server", "101")))
		if len(files(r)) != 1 {
			t.Fatalf("/info bases: %d files", len(files(r)))
		}
		img = decodePNG(t, files(r)[0])
		if cr, cg, cb := rgbAt(img, x, y); cr-cg > 20 || cg-cr > 20 || cb < cr-5 {
			t.Fatalf("/info bases map shows decay: base at 20/30 is %d,%d,%d", cr, cg, cb)
		}
		tx, ty := picture.MapPixel(50, 50, 0) // "Hub" at UE 0,0 on The Island
		if cr, cg, cb := rgbAt(img, tx, ty); cr == cg && cg == cb {
			t.Fatalf("no teleport marker at the Hub: %d,%d,%d", cr, cg, cb)
		}
	}
	// All servers: one map per server with bases (Scorched and Center have
	// no snapshot); map:false attaches none.
	if r := w.cmd(playerA, "info", sc("bases")); len(files(r)) != 1 {
		t.Fatalf("all servers: %d maps", len(files(r)))
	}
	if r := w.cmd(playerA, "info", sc("bases", discordtest.BoolOpt("map", false))); len(files(r)) != 0 {
		t.Fatalf("map:false: %d files", len(files(r)))
	}
	// Another guild's /info bases never draws guild A's server.
	if r := w.cmdIn(w.guildB.ID, adminB, "info", sc("bases", str("server", "101"))); len(files(r)) != 0 {
		t.Fatalf("guild B got a map of guild A's server")
	}

	// /server stats: players, CPU and memory panels.
	r = w.cmd(staffA, "server", sc("stats", str("server", "101"), discordtest.IntOpt("hours", 6)))
	if len(files(r)) != 1 || files(r)[0].Name != "stats.png" || !strings.Contains(bottest.Text(r), "12.5") {
		t.Fatalf("stats: %d files, %s", len(files(r)), bottest.Text(r))
	}
	if b := decodePNG(t, files(r)[0]).Bounds(); b.Dy() != 3*260 {
		t.Fatalf("stats chart %v, want 3 panels", b)
	}

	// /info online: who is on now (Alice on Island, Carol on Scorched; Bob
	// left) and the chart.
	r = w.cmd(playerA, "info", sc("online"))
	if got := bottest.Text(r); !strings.Contains(got, "Alice") || !strings.Contains(got, "Carol") || strings.Contains(got, "Bob") ||
		!strings.Contains(got, "pvp") && !strings.Contains(got, "all servers") {
		t.Fatalf("online: %s", got)
	}
	if len(files(r)) != 1 || files(r)[0].Name != "online.png" {
		t.Fatalf("online chart: %d files", len(files(r)))
	}
	decodePNG(t, files(r)[0])
	// /info playtime: Bob played 2 h, is offline.
	r = w.cmd(playerA, "info", sc("playtime", str("player", "Bob")))
	if got := bottest.Text(r); !strings.Contains(got, "2 h 00 min") || !strings.Contains(got, "Last seen") || strings.Contains(got, eos(2)) {
		t.Fatalf("playtime: %s", got)
	}
	if got := bottest.Text(w.cmd(staffA, "info", sc("playtime", str("player", eos(1))))); !strings.Contains(got, "online on Island") ||
		!strings.Contains(got, eos(1)) {
		t.Fatalf("staff playtime: %s", got)
	}

	// The decay post attaches the decay map.
	d := server.DecayDeps{Store: w.store, Info: serverstore.Info{DB: w.db}, Marks: w.db, Post: w.post, PostFiles: w.postFiles}
	if err := server.CheckDecay(ctx, d, []string{w.guildA.ID}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range w.fake.Messages(logA) {
		if len(m.Embeds) > 0 && strings.Contains(m.Embeds[0].Title, "decaying within") && len(m.Attachments) == 1 {
			f, ok := w.fake.Attachment(m.Attachments[0].URL)
			if !ok {
				t.Fatal("decay map not uploaded")
			}
			decodePNG(t, f)
			found = true
		}
	}
	if !found {
		t.Fatal("no decay post with a map")
	}
}
