package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/storage"
)

// Assistant bot scenes: /timestamp with a saved zone, and /teleport over
// a save holding tek teleporters of two tribes (parsed by the appliance
// like any other save).

const sbTekTeleporter = "/Game/PrimalEarth/Structures/TekTeleporter/TekTeleporter.TekTeleporter_C"

func sbNum(name string, v float64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionNumber, Value: v}
}

// sceneAssistantTimestamp: a player saves a zone, turns a phrase into
// timestamps in it, and uses another zone picked by autocomplete.
func sceneAssistantTimestamp(ctx context.Context, sb *sandbox) error {
	r, err := sb.command(ctx, bots.Assistant, "player", "timezone", discordtest.SubCommand("set", sbOpt("zone", "Europe/Berlin")))
	if err != nil {
		return err
	}
	if err := expect(r, "/timezone set", "Time zone saved", "Europe/Berlin"); err != nil {
		return err
	}
	if r, err = sb.command(ctx, bots.Assistant, "player", "timestamp", sbOpt("when", "next friday 20:30")); err != nil {
		return err
	}
	if err := expect(r, "/timestamp", "Europe/Berlin", "20:30", ":R>`", ":F>`"); err != nil {
		return err
	}
	r, err = sb.interact(ctx, bots.Assistant, "player", "/timestamp when:8pm timezone:new_y… (autocomplete)", discordtest.Interaction{
		Type: discordgo.InteractionApplicationCommandAutocomplete, CommandName: "timestamp",
		Options: []*discordgo.ApplicationCommandInteractionDataOption{sbOpt("when", "8pm"), discordtest.Focused(sbOpt("timezone", "new_y"))}}, false)
	if err != nil {
		return err
	}
	if err := expect(r, "zone autocomplete", "America/New_York"); err != nil {
		return err
	}
	r, err = sb.command(ctx, bots.Assistant, "player", "timestamp", sbOpt("when", "2026-12-24 20:00"), sbOpt("timezone", "America/New_York"))
	if err != nil {
		return err
	}
	return expect(r, "/timestamp in New York", "America/New_York", "Thu 24 Dec 2026 20:00 EST")
}

// sceneAssistantTeleport: a new save of the Lost Colony server holds tek
// teleporters of both tribes; after its parse the player (linked to a
// member of tribe 1) finds their own tribe's teleporters and the staff's
// public point, never tribe 2's, while staff see every owner and the
// closest base.
func sceneAssistantTeleport(ctx context.Context, sb *sandbox) error {
	var srv *sandboxServer
	for _, s := range sb.servers {
		if s.mapName == "LostColony_WP" {
			srv = s
		}
	}
	if srv == nil {
		return errors.New("no Lost Colony server in the sandbox")
	}
	m, ok := maps.Lookup(srv.mapName)
	if !ok {
		return fmt.Errorf("map %s not in the table", srv.mapName)
	}
	wctx, cancel := context.WithTimeout(ctx, 4*sb.opts.stepTimeout)
	defer cancel()
	bx, by := m.UE(42, 58) // where Mira's tribe builds
	save := arksavetest.Generate(arksavetest.Counts{Seed: 9, Map: srv.mapName, Players: 4, Tribes: 2, TamedDinos: 4, Structures: 60,
		Places: []arksave.Location{{X: bx, Y: by}, {X: 0, Y: 0}}})
	// The Discord player is linked (by /ap link, or here as it would be)
	// to the first member of tribe 1.
	link, err := sb.app.db.LinkByDiscord(wctx, sb.guild.ID, sbUserPlayer)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		link = storage.Link{GuildID: sb.guild.ID, DiscordID: sbUserPlayer, EOSID: save.Players[0].EOSID, Name: save.Players[0].CharacterName}
		if err := sb.app.db.PutLink(wctx, link); err != nil {
			return err
		}
		sb.say("[link] @player linked to %s (%s)", link.Name, link.EOSID)
	case err != nil:
		return err
	default:
		save.Players[0].EOSID = link.EOSID
	}
	tribeA, tribeB := save.Tribes[0], save.Tribes[1]
	tek := func(id byte, tr arksave.Tribe, lat, lon, z float64) arksave.Structure {
		x, y := m.UE(lat, lon)
		return arksave.Structure{ID: arksave.GUID{0xee, 0x5b, id}, Class: arksavetest.ShortClass(sbTekTeleporter), ClassPath: sbTekTeleporter,
			Material: "tek", TribeID: tr.ID, OwnerName: tr.Name, Location: arksave.Location{X: x, Y: y, Z: z}, HasLocation: true,
			Health: 5000, MaxHealth: 5000, LastStasisTime: save.GameTime - 600, CreationTime: save.GameTime - 3e6}
	}
	save.Structures = append(save.Structures, tek(1, tribeA, 42.3, 58.1, 1200), tek(2, tribeA, 20.5, 75.2, 300), tek(3, tribeB, 43.0, 57.0, 900))
	save.StructureRows = len(save.Structures)
	save.SavedAt = time.Now().UTC().Truncate(time.Second) // decay dates follow the run's clock
	local := filepath.Join(sb.dir, "fakes", fmt.Sprintf("%d-%s-teleporters.ark", srv.id, srv.mapName))
	if err := arksavetest.Write(local, save, arksavetest.Options{Seed: 9, FillerRows: 8}); err != nil {
		return fmt.Errorf("synthetic save: %w", err)
	}
	sb.nitrado.AddFile(srv.id, srv.savePath, local)
	sb.say("> Nitrado: a new save of %s, with 2 tek teleporters of %s and 1 of %s", srv.name, tribeA.Name, tribeB.Name)
	if err := sb.app.syncServers(wctx); err != nil {
		return err
	}
	name := jobs.ParseJobName(srv.id)
	if err := sb.app.sched.Trigger(wctx, name); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	tps, err := sb.app.db.SaveTeleporters(wctx, srv.id)
	if err != nil {
		return err
	}
	sb.say("[jobs] %s done: %d teleporters in the save", name, len(tps))
	if len(tps) != 3 {
		return fmt.Errorf("%d teleporters stored, want 3", len(tps))
	}

	r, err := sb.command(ctx, bots.Assistant, "admin", "teleport", discordtest.SubCommand("add", sbOpt("map", "lostcolony"),
		sbOpt("name", "Obelisk Ridge"), sbNum("lat", 41.5), sbNum("lon", 59), sbNum("z", 2500), sbOpt("note", "public drop point")))
	if err != nil {
		return err
	}
	if err := expect(r, "/teleport add", "Teleport point added", "Obelisk Ridge"); err != nil {
		return err
	}
	find := discordtest.SubCommand("find", sbOpt("map", "lostcolony"), sbNum("lat", 42), sbNum("lon", 58))
	if r, err = sb.command(ctx, bots.Assistant, "player", "teleport", find); err != nil {
		return err
	}
	if err := expect(r, "/teleport find (player)", "Your tribe's Tek Teleporter", "Obelisk Ridge", "foundations"); err != nil {
		return err
	}
	if txt := responseText(r); strings.Contains(txt, tribeB.Name) || strings.Count(txt, "Tek Teleporter") != 2 {
		return fmt.Errorf("the player sees another tribe's teleporter:\n%s", txt)
	}
	if r, err = sb.command(ctx, bots.Assistant, "player", "teleport", discordtest.SubCommand("remove", sbOpt("map", "lostcolony"), sbOpt("name", "Obelisk Ridge"))); err != nil {
		return err
	}
	if err := expect(r, "/teleport remove (player)", "staff role"); err != nil {
		return err
	}
	if r, err = sb.command(ctx, bots.Assistant, "admin", "teleport", find); err != nil {
		return err
	}
	if err := expect(r, "/teleport find (staff)", "Tek Teleporter of "+tribeA.Name, "Tek Teleporter of "+tribeB.Name, "SetPlayerPos"); err != nil {
		return err
	}
	r, err = sb.command(ctx, bots.Assistant, "admin", "coords", discordtest.SubCommand("latlon", sbOpt("map", "lostcolony"),
		sbNum("lat", 42), sbNum("lon", 58), sbOpt("server", itoa(srv.id))))
	if err != nil {
		return err
	}
	return expect(r, "/coords latlon (staff)", "SetPlayerPos", "Closest bases", tribeA.Name)
}
