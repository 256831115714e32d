package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
)

// Server bot scenes: a moderation story, a countdown restart and /info
// decay. They run after "save parse" (a snapshot exists).

func sbOpt(name string, v any) *discordgo.ApplicationCommandInteractionDataOption {
	switch x := v.(type) {
	case int:
		return discordtest.IntOpt(name, int64(x))
	default:
		return discordtest.StringOpt(name, fmt.Sprint(v))
	}
}

// componentIDs lists the custom ids of a response's buttons and selects.
func componentIDs(r discordtest.Response) []string {
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

// sceneServerModeration: a player lists who is online, staff kicks a
// griefer on one server and bans them cluster-wide after confirming.
func sceneServerModeration(ctx context.Context, sb *sandbox) error {
	s := sb.servers[0]
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	out, err := sb.app.rcon.Exec(wctx, s.id, rcon.ListPlayers())
	if err != nil {
		return err
	}
	// A griefer joins (added to the fake's roster, so the other scenes'
	// players stay online).
	ps, _ := rcon.ParsePlayers(out)
	roster := make([]rcontest.Player, 0, len(ps)+1)
	for _, p := range ps {
		roster = append(roster, rcontest.Player{Name: p.Name, EOSID: p.EOSID})
	}
	target := rcon.Player{Name: "xX_Griefer_Xx", EOSID: "0002feedfacecafe0000000000000bad"}
	s.rcon.SetPlayers(append(roster, rcontest.Player{Name: target.Name, EOSID: target.EOSID})...)
	sb.say("[rcon %s] %s joins", s.name, target.Name)
	r, err := sb.command(ctx, bots.Server, "player", "players")
	if err != nil {
		return err
	}
	if err := expect(r, "/players", "Players online", s.name); err != nil {
		return err
	}
	r, err = sb.command(ctx, bots.Server, "admin", "say", sbOpt("message", "Hello from Discord\nsecond line"))
	if err != nil {
		return err
	}
	if err := expect(r, "/say", "sent"); err != nil {
		return err
	}
	r, err = sb.command(ctx, bots.Server, "admin", "kick", sbOpt("player", target.EOSID), sbOpt("server", itoa(s.id)), sbOpt("reason", "griefing"))
	if err != nil {
		return err
	}
	if err := expect(r, "/kick", "Kick", s.name); err != nil {
		return err
	}
	r, err = sb.command(ctx, bots.Server, "admin", "ban", sbOpt("player", target.EOSID), sbOpt("reason", "griefing again"))
	if err != nil {
		return err
	}
	ids := componentIDs(r)
	if len(ids) == 0 {
		// A single server needs no confirmation.
		return expect(r, "/ban", "Ban")
	}
	r, err = sb.interact(ctx, bots.Server, "admin", "[Ban on all servers]", discordtest.Interaction{
		Type: discordgo.InteractionMessageComponent, CustomID: ids[0], Message: &discordgo.Message{Embeds: r.Data.Embeds}}, false)
	if err != nil {
		return err
	}
	for _, srv := range sb.servers {
		if !hasCommand(srv.rcon.Commands(), "BanPlayer "+target.EOSID) {
			return fmt.Errorf("ban did not reach %s", srv.name)
		}
	}
	return expect(r, "ban confirmation", "griefing again")
}

func hasCommand(cmds []string, prefix string) bool {
	for _, c := range cmds {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// sceneServerCountdown: a 2-minute restart countdown (a sandbox minute is
// 300 ms): in-game warnings, SaveWorld, the Nitrado restart, and the result
// posted when Nitrado reports the server started.
func sceneServerCountdown(ctx context.Context, sb *sandbox) error {
	sb.app.countdowns.SetPace(300*time.Millisecond, 25*time.Millisecond, 50*time.Millisecond, 100*time.Millisecond)
	s := sb.servers[len(sb.servers)-1]
	// Before the countdown, the next restart is Nitrado's own daily one.
	r, err := sb.command(ctx, bots.Server, "admin", "server", discordtest.SubCommand("info", sbOpt("server", itoa(s.id))))
	if err != nil {
		return err
	}
	if err := expect(r, "/server info", "Next scheduled restart", "(Nitrado schedule)"); err != nil {
		return err
	}
	r, err = sb.command(ctx, bots.Server, "admin", "server", discordtest.SubCommand("restart",
		sbOpt("server", itoa(s.id)), sbOpt("minutes", 2), sbOpt("reason", "mod update")))
	if err != nil {
		return err
	}
	if err := expect(r, "/server restart", "scheduled"); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 2*sb.opts.stepTimeout)
	defer cancel()
	if err := waitUntil(wctx, "the restart result", func() bool { return channelHas(sb, sbChanGeneral, "finished") }); err != nil {
		return err
	}
	// The announcement in the channel lost its Cancel button.
	for _, m := range sb.discord.Messages(sbChanGeneral) {
		for _, e := range m.Embeds {
			if strings.Contains(e.Title, "finished") && m.Interaction == nil && len(m.Components) > 0 {
				return fmt.Errorf("the finished countdown's announcement still has a button")
			}
		}
	}
	for _, c := range s.rcon.Commands() {
		if strings.HasPrefix(c, "ServerChat Server restart") || c == "SaveWorld" {
			sb.say("[rcon %s] %s", s.name, c)
		}
	}
	sb.flushChannelMessages()
	if !hasCommand(s.rcon.Commands(), "SaveWorld") {
		return fmt.Errorf("no SaveWorld before the restart of %s", s.name)
	}
	return nil
}

func channelHas(sb *sandbox, ch, sub string) bool {
	for _, m := range sb.discord.Messages(ch) {
		for _, e := range m.Embeds {
			if strings.Contains(e.Title, sub) {
				return true
			}
		}
	}
	return false
}

// sceneInfoDecay: a player browses the parsed save and its base map; staff
// asks which bases decay within 30 days and gets the decay map. The sandbox
// writes the pictures it was sent to its temp dir and prints their paths.
func sceneInfoDecay(ctx context.Context, sb *sandbox) error {
	if err := sandboxMapImage(ctx, sb); err != nil {
		return err
	}
	r, err := sb.command(ctx, bots.Server, "player", "info", discordtest.SubCommand("players"))
	if err != nil {
		return err
	}
	if err := expect(r, "/info players", "Players", "Save of"); err != nil {
		return err
	}
	r, err = sb.command(ctx, bots.Server, "player", "info", discordtest.SubCommand("bases", sbOpt("server", itoa(sb.servers[0].id))))
	if err != nil {
		return err
	}
	if err := expect(r, "/info bases", "Bases"); err != nil {
		return err
	}
	if err := savePictures(sb, "info-bases", r, 1); err != nil {
		return err
	}
	r, err = sb.command(ctx, bots.Server, "admin", "info", discordtest.SubCommand("decay", sbOpt("within", 720)))
	if err != nil {
		return err
	}
	if err := expect(r, "/info decay", "Decaying within 720 h"); err != nil {
		return err
	}
	return savePictures(sb, "info-decay", r, 1)
}

// sandboxMapImage: the admin uploads a picture of the first server's map
// (a synthetic one: no ARK artwork ships with Bliss) and sets it as that
// map's background with /server mapimage set, so the base and decay maps
// below draw it under the grid.
func sandboxMapImage(ctx context.Context, sb *sandbox) error {
	mapName, err := sb.app.db.SnapshotMap(ctx, sb.servers[0].id)
	if err != nil {
		return fmt.Errorf("map image: %w", err)
	}
	m, ok := maps.Lookup(mapName)
	if !ok {
		sb.say("(map %q is not in arksave/maps: the base maps stay a bare grid)", mapName)
		return nil
	}
	var pic bytes.Buffer
	if err := png.Encode(&pic, syntheticMap(512)); err != nil {
		return fmt.Errorf("map image: %w", err)
	}
	msg, err := sb.discord.SendFiles(sbChanGeneral, sb.users["admin"], "our map artwork",
		discordtest.File{Name: m.Key + ".png", ContentType: "image/png", Data: pic.Bytes()})
	if err != nil || len(msg.Attachments) != 1 {
		return fmt.Errorf("map image: upload: %v", err)
	}
	sb.seenMsgs[msg.ID] = true
	att := msg.Attachments[0]
	opts := []*discordgo.ApplicationCommandInteractionDataOption{discordtest.SubCommandGroup("mapimage",
		discordtest.SubCommand("set", sbOpt("map", m.Key), discordtest.AttachmentOpt("image", att.ID)))}
	r, err := sb.interact(ctx, bots.Server, "admin", "/server mapimage set map:"+m.Key+" image:"+att.Filename,
		discordtest.Interaction{CommandName: "server", Options: opts, Attachments: []*discordgo.MessageAttachment{att}}, false)
	if err != nil {
		return err
	}
	return expect(r, "/server mapimage set", "Map background set", m.Name)
}

// syntheticMap is a made-up map picture: sea, an island with a beach and
// a mountain.
func syntheticMap(side int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	c := float64(side) / 2
	for y := range side {
		for x := range side {
			dx, dy := (float64(x)-c)/c, (float64(y)-c)/c
			d := math.Hypot(dx*1.1, dy) + 0.08*math.Sin(6*math.Atan2(dy, dx))
			col := color.RGBA{30, 70, 140, 255} // sea
			switch {
			case d < 0.2:
				col = color.RGBA{130, 120, 110, 255} // mountain
			case d < 0.62:
				col = color.RGBA{60, 130, 60, 255} // forest
			case d < 0.68:
				col = color.RGBA{210, 195, 140, 255} // beach
			}
			img.SetRGBA(x, y, col)
		}
	}
	return img
}

// savePictures writes the PNGs of a response to <sandbox dir>/pictures and
// prints their paths; at least min of them must be valid PNGs.
func savePictures(sb *sandbox, prefix string, r discordtest.Response, min int) error {
	dir := filepath.Join(sb.dir, "pictures")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pictures: %w", err)
	}
	n := 0
	for _, f := range r.Data.Files {
		img, err := png.Decode(bytes.NewReader(f.Data))
		if err != nil {
			return fmt.Errorf("%s: %s is not a PNG: %w", prefix, f.Name, err)
		}
		path := filepath.Join(dir, prefix+"-"+filepath.Base(f.Name))
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			return fmt.Errorf("pictures: %w", err)
		}
		b := img.Bounds()
		sb.say("[picture] %s (%dx%d, %d KiB)", path, b.Dx(), b.Dy(), len(f.Data)/1024)
		n++
	}
	if n < min {
		return fmt.Errorf("%s: %d pictures attached, want %d", prefix, n, min)
	}
	return nil
}
