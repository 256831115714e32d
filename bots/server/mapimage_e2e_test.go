package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/serverstore"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/embed"
	"github.com/blissark/bliss/bots/picture"
	"github.com/blissark/bliss/bots/server"
)

// startBackgrounds runs the Server bot (no countdown runner) with map
// backgrounds bg until the test ends.
func (w *world) startBackgrounds(bg *server.Backgrounds) {
	t := w.t
	t.Helper()
	sup, err := bots.NewSupervisor(bots.Options{
		Bots:          []bots.BotConfig{{Kind: bots.Server, Token: w.bot.Token, AppID: w.bot.AppID}},
		NewHTTPClient: w.fake.HTTPClient, NewDialer: w.fake.Dialer,
		GuildIDs: []string{w.guildA.ID, w.guildB.ID}, Staff: bots.StaffFromStore(w.store),
		Logger: slog.New(slog.DiscardHandler), MinBackoff: 20 * time.Millisecond, DeferAfter: 1500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.sup = sup
	r := server.New(server.Deps{Store: w.store, RCON: w.pool, Info: serverstore.Info{DB: w.db},
		Audit: bots.NewAuditor(serverstore.Audit{DB: w.db}, w.post, w.store), Backgrounds: bg, RCONTimeout: 2 * time.Second})
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := sup.Handle(bots.Server, r); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = sup.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	wctx, wcancel := context.WithTimeout(ctx, bottest.Deadline)
	defer wcancel()
	for len(w.fake.Commands(w.bot, w.guildA.ID)) == 0 || len(w.fake.Commands(w.bot, w.guildB.ID)) == 0 || w.sup.Session(bots.Server) == nil {
		if wctx.Err() != nil {
			t.Fatalf("server bot never registered: %+v", sup.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// solidPNG is a synthetic w×h picture of one colour (no ARK artwork).
func solidPNG(t *testing.T, w, h int, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a 1×1 PNG whose header (with a valid CRC) claims 60000².
func bombPNG(t *testing.T) []byte {
	b := solidPNG(t, 1, 1, color.NRGBA{1, 2, 3, 255})
	binary.BigEndian.PutUint32(b[16:], 60000)
	binary.BigEndian.PutUint32(b[20:], 60000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// TestE2EMapImage: staff set a background for The Island from an
// attachment; the next /info bases map of an Island server draws it (a
// pixel under the grid has its dimmed colour), so does the decay post; a
// member is refused; a PNG bomb header and a text file are refused with a
// clear red message; /server mapimage show lists it; another guild's map of
// the same map stays bare; clear restores the bare grid. Each step is
// audited.
func TestE2EMapImage(t *testing.T) {
	w := standard(t)
	served := map[string][]byte{
		"/bg.png":    solidPNG(t, 640, 480, color.NRGBA{0, 255, 0, 255}),
		"/bomb.png":  bombPNG(t),
		"/notes.txt": []byte("these are not the pixels you are looking for\n"),
	}
	cdn := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, ok := served[r.URL.Path]
		if !ok {
			http.NotFound(rw, r)
			return
		}
		_, _ = rw.Write(b)
	}))
	t.Cleanup(cdn.Close)
	bg := server.NewBackgrounds(server.BackgroundOptions{Store: serverstore.MapImages{DB: w.db}, Client: cdn.Client(),
		Hosts: []string{"127.0.0.1"}})
	w.startBackgrounds(bg)
	sc, grp, str := discordtest.SubCommand, discordtest.SubCommandGroup, discordtest.StringOpt

	// The probe: a point of the map area away from the bases (20/30), the
	// grid lines and the labels.
	px, py := picture.MapPixel(72, 72, 0)
	probe := func(guild, who string, id string) color.RGBA {
		t.Helper()
		r := w.cmdIn(guild, who, "info", sc("bases", str("server", id)))
		if len(files(r)) != 1 {
			t.Fatalf("/info bases %s: %d files: %s", id, len(files(r)), bottest.Text(r))
		}
		cr, cg, cb := rgbAt(decodePNG(t, files(r)[0]), px, py)
		return color.RGBA{uint8(cr), uint8(cg), uint8(cb), 255}
	}
	bare := probe(w.guildA.ID, playerA, "101")
	if bare.G > bare.R+20 {
		t.Fatalf("the bare map is already green: %v", bare)
	}
	set := func(who, path string) discordtest.Response {
		t.Helper()
		_, r := w.do(discordtest.Interaction{User: user(who), CommandName: "server",
			Options: []*discordgo.ApplicationCommandInteractionDataOption{grp("mapimage", sc("set", str("map", "theisland"),
				discordtest.AttachmentOpt("image", "990000000000000001")))},
			Attachments: []*discordgo.MessageAttachment{{ID: "990000000000000001", Filename: path[1:], URL: cdn.URL + path,
				Size: len(served[path])}}})
		return r
	}
	isError := func(r discordtest.Response) bool {
		return len(r.Data.Embeds) == 1 && r.Data.Embeds[0].Color == embed.ColorError
	}

	// A member is refused (and nothing is stored).
	if r := set(playerA, "/bg.png"); !refused(r) {
		t.Fatalf("a member set a map image: %s", bottest.Text(r))
	}
	// Untrusted files: a bomb header, a text file, a missing file.
	for path, want := range map[string]string{"/bomb.png": "too large", "/notes.txt": "not a PNG or JPEG",
		"/gone.png": "Could not download"} {
		if r := set(staffA, path); !isError(r) || !strings.Contains(bottest.Text(r), want) || !r.Ephemeral() {
			t.Errorf("set %s: %q, want a red %q", path, bottest.Text(r), want)
		}
	}
	if got := probe(w.guildA.ID, playerA, "101"); got != bare {
		t.Fatalf("a refused image changed the map: %v, was %v", got, bare)
	}

	// Staff set it: the next map has the dimmed green under the grid.
	if r := set(staffA, "/bg.png"); isError(r) || !strings.Contains(bottest.Text(r), "The Island") {
		t.Fatalf("set: %s", bottest.Text(r))
	}
	want := color.RGBA{0, 255 * 55 / 100, 0, 255}
	if got := probe(w.guildA.ID, playerA, "101"); got != want {
		t.Fatalf("after set: pixel %v, want the background's %v (bare %v)", got, want, bare)
	}
	// Guild B's Island server keeps the bare grid.
	if got := probe(w.guildB.ID, adminB, "201"); got != bare {
		t.Fatalf("guild B's map: %v, want bare %v", got, bare)
	}
	if r := w.cmd(staffA, "server", grp("mapimage", sc("show"))); !strings.Contains(bottest.Text(r), "The Island") ||
		!strings.Contains(bottest.Text(r), "1024×768") {
		t.Fatalf("show: %s", bottest.Text(r))
	}
	if r := w.cmdIn(w.guildB.ID, adminB, "server", grp("mapimage", sc("show"))); strings.Contains(bottest.Text(r), "The Island") {
		t.Fatalf("guild B lists guild A's image: %s", bottest.Text(r))
	}

	// The decay post draws it too.
	d := server.DecayDeps{Store: w.store, Info: serverstore.Info{DB: w.db}, Marks: w.db, Post: w.post, PostFiles: w.postFiles,
		Backgrounds: bg}
	if err := server.CheckDecay(context.Background(), d, []string{w.guildA.ID}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range w.fake.Messages(logA) {
		if len(m.Embeds) > 0 && strings.Contains(m.Embeds[0].Title, "decaying within") && len(m.Attachments) == 1 {
			f, ok := w.fake.Attachment(m.Attachments[0].URL)
			if !ok {
				t.Fatal("decay map not uploaded")
			}
			if cr, cg, cb := rgbAt(decodePNG(t, f), px, py); (color.RGBA{uint8(cr), uint8(cg), uint8(cb), 255}) != want {
				t.Fatalf("decay map pixel %d,%d,%d, want %v", cr, cg, cb, want)
			}
			found = true
		}
	}
	if !found {
		t.Fatal("no decay post with a map")
	}

	// Clear restores the bare grid; clearing again says there is none.
	if r := w.cmd(staffA, "server", grp("mapimage", sc("clear", str("map", "theisland")))); isError(r) {
		t.Fatalf("clear: %s", bottest.Text(r))
	}
	if got := probe(w.guildA.ID, playerA, "101"); got != bare {
		t.Fatalf("after clear: %v, want bare %v", got, bare)
	}
	if r := w.cmd(staffA, "server", grp("mapimage", sc("clear", str("map", "theisland")))); !isError(r) ||
		!strings.Contains(bottest.Text(r), "no background") {
		t.Fatalf("clear twice: %s", bottest.Text(r))
	}
	if r := w.cmd(staffA, "server", grp("mapimage", sc("clear", str("map", "atlantis")))); !isError(r) ||
		!strings.Contains(bottest.Text(r), "Unknown map") {
		t.Fatalf("unknown map: %s", bottest.Text(r))
	}

	// Audited: the refusals, the set and the clear.
	rows, err := w.db.AuditLog(context.Background(), w.guildA.ID, 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sets, failed, clears int
	for _, a := range rows {
		switch {
		case a.Action == "map image set" && a.OK:
			sets++
		case a.Action == "map image set":
			failed++
		case a.Action == "map image cleared":
			clears++
		}
	}
	if sets != 1 || failed != 3 || clears != 1 {
		t.Fatalf("audit: %d sets, %d refused, %d clears: %+v", sets, failed, clears, rows)
	}
}

// TestE2EMapImageAutocomplete: the map option offers arksave/maps' maps.
func TestE2EMapImageAutocomplete(t *testing.T) {
	w := standard(t)
	w.startBackgrounds(server.NewBackgrounds(server.BackgroundOptions{Store: serverstore.MapImages{DB: w.db}}))
	_, r := w.do(discordtest.Interaction{Type: discordgo.InteractionApplicationCommandAutocomplete, User: user(staffA),
		CommandName: "server", Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.SubCommandGroup("mapimage",
			discordtest.SubCommand("clear", discordtest.Focused(discordtest.StringOpt("map", "rag"))))}})
	if len(r.Data.Choices) != 1 || r.Data.Choices[0].Value != "ragnarok" || r.Data.Choices[0].Name != "Ragnarok" {
		t.Fatalf("choices: %+v", r.Data.Choices)
	}
}
