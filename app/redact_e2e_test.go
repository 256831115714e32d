package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/storage"
)

// Every secret the running appliance knows, planted in every upstream's
// error (Discord's REST error body on the interaction callback, Nitrado's
// error envelope on the server details), never reaches the log or
// /healthz: the bot token and Nitrado token from the configuration, the
// RCON password learned from the server details, and the interaction token
// of the failing callback.
func TestRedactionThroughTheAppliance(t *testing.T) {
	const (
		guildID = "200000000000000001"
		chanID  = "200000000000000301"
		adminID = "200000000000000201"
		rconPW  = "rcon-pw-planted-e2e"
		id      = 1001
	)
	dc := discordtest.New(discordtest.Options{AckDeadline: discordtest.LoadedAckDeadline})
	defer dc.Close()
	master := dc.AddBot("master-token-planted-e2e-0123456789")
	g := dc.AddGuild(discordtest.Guild{ID: guildID, Name: "g",
		Roles:    []*discordgo.Role{{ID: "200000000000000101", Name: "Admin", Permissions: discordgo.PermissionAdministrator}},
		Channels: []*discordgo.Channel{{ID: chanID, Name: "general", Type: discordgo.ChannelTypeGuildText}},
		Members:  []*discordgo.Member{{User: &discordgo.User{ID: adminID, Username: "admin"}, Roles: []string{"200000000000000101"}}}})
	if err := dc.AddBotToGuild(master, g.ID); err != nil {
		t.Fatal(err)
	}
	nf := nitradotest.NewServer(nitradotest.Options{Token: "nitrado-token-planted-e2e-0123456789"})
	defer nf.Close()
	nf.AddService(nitradotest.Service{ID: id, Name: "Ragnarok", Map: "Ragnarok_WP", RCONPassword: rconPW})

	cfg, err := config.Load("", []string{
		"BLISS_DISCORD_URL=" + dc.URL(), "BLISS_STATE_DIR=" + t.TempDir(), "BLISS_HTTP_ADDR=127.0.0.1:0",
		"BLISS_NITRADO_TOKEN=" + nf.Token(), "BLISS_NITRADO_URL=" + nf.URL(),
		"BLISS_MASTER_TOKEN=" + master.Token, "BLISS_MASTER_APP_ID=" + master.AppID,
		"BLISS_GUILD_IDS=" + guildID, "BLISS_SHUTDOWN_TIMEOUT=10s", "BLISS_CACHE_TTL=1s", "BLISS_NITRADO_PING_INTERVAL=1h",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := storage.Open(ctx, cfg.DBPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertGuild(ctx, &storage.Guild{ID: guildID, Name: "g"}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddServer(ctx, &storage.Server{GuildID: guildID, ServiceID: id, Name: "Ragnarok", Map: "Ragnarok_WP", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	var logs syncBuffer
	addr, stopOnce := startAppliance(t, cfg, &logs, "")
	stopped := false
	defer func() {
		if !stopped {
			stopOnce()
		}
	}()
	// The details are fetched once (the RCON password is learned), then
	// Nitrado fails every refresh with an envelope quoting the secrets
	// (secrets first: the client shortens long messages).
	deadline := time.Now().Add(30 * time.Second)
	for nf.CountCalls("GET", "/services/1001/gameservers") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("details never fetched")
		}
		time.Sleep(20 * time.Millisecond)
	}
	nf.Fail(nitradotest.Fault{Path: "/services/1001/gameservers", Status: 401,
		Message: fmt.Sprintf("%s %s %s refused", nf.Token(), rconPW, master.Token)})
	h := waitComponent(t, addr, "nitrado", StateDegraded)

	// Discord fails the interaction callback with a body quoting them too,
	// and the interaction's own token.
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for len(dc.Commands(master, guildID)) == 0 {
		if wctx.Err() != nil {
			t.Fatal("commands never registered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := dc.InjectFailure(master, discordtest.Failure{Route: discordtest.Route("POST", "/interactions/*/*/callback"), Status: 400, Code: 50035,
		Message: fmt.Sprintf("%s %s %s", master.Token, nf.Token(), rconPW)}); err != nil {
		t.Fatal(err)
	}
	ih, err := dc.Interact(wctx, master, discordtest.Interaction{CommandName: "status", User: &discordgo.User{ID: adminID}, GuildID: guildID, ChannelID: chanID})
	if err != nil {
		t.Fatal(err)
	}
	itoken := ih.Token
	for !strings.Contains(logs.String(), "interaction response failed") {
		if wctx.Err() != nil {
			t.Fatalf("the failed callback was never logged:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stopped = true
	if err := stopOnce(); err != nil {
		t.Fatalf("run: %v", err)
	}
	secrets := plantedSecrets{botToken: master.Token, nitradoToken: nf.Token(), rconPassword: rconPW, interactionToken: itoken}
	assertClean(t, "log", logs.String(), secrets)
	assertClean(t, "/healthz", string(body), secrets)
	// (the Nitrado client scrubs its own token first, as "[REDACTED]")
	if d := componentDetail(h, "nitrado"); !strings.Contains(d, redactedText+" "+redactedText+" refused") {
		t.Errorf("nitrado detail not redacted in place: %q", d)
	}
	if !strings.Contains(logs.String(), redactedText) {
		t.Errorf("nothing was redacted:\n%s", logs.String())
	}
}
