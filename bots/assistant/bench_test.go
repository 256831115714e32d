package assistant

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
)

// BenchmarkParse is one /timestamp phrase through the parser (natural
// phrases go through olebedev/when; ISO input is parsed exactly).
func BenchmarkParse(b *testing.B) {
	p := NewParser()
	berlin, _ := LoadZone("Europe/Berlin")
	now := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	for _, phrase := range []string{"next friday 20:30", "in 2 hours", "2026-12-24 20:00"} {
		b.Run(phrase, func(b *testing.B) {
			for b.Loop() {
				if _, err := p.Parse(phrase, now, berlin); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTeleportFind is /teleport find for a player over a cluster of
// 4 servers on one map with 2 500 save teleporters each and 200 staff
// points (the handler, with in-memory stores).
func BenchmarkTeleportFind(b *testing.B) {
	ctx := context.Background()
	store := bots.NewMemStore()
	rag, _ := maps.Lookup("ragnarok")
	rng := rand.New(rand.NewPCG(1, 1))
	w := fakeWorld{maps: map[int64]string{}, tps: map[int64][]TeleportPoint{}, tribeOf: map[string]int64{testPlayer: 7}}
	for id := int64(1); id <= 4; id++ {
		_ = store.AddServer(ctx, bots.GameServer{GuildID: testGuild, ServiceID: id, Name: "Rag"})
		w.maps[id] = "Ragnarok_WP"
		for i := range 2500 {
			x, y := rag.UE(rng.Float64()*100, rng.Float64()*100)
			w.tps[id] = append(w.tps[id], TeleportPoint{X: x, Y: y, TribeID: int64(i % 50), Class: "TekTeleporter_C"})
		}
	}
	tp := &memTeleports{}
	for i := range 200 {
		x, y := rag.UE(rng.Float64()*100, rng.Float64()*100)
		_, _ = tp.AddTeleportPoint(ctx, testGuild, TeleportPoint{Map: "ragnarok", Name: "P" + string(rune('A'+i%26)) + string(rune('0'+i/26)), X: x, Y: y, Public: true})
	}
	bt := &bot{Deps: Deps{Store: store, Teleports: tp, World: w, Now: time.Now}, staff: bots.StaffFromStore(store), parser: NewParser()}
	c := ctxFor(testPlayer, false, optS("map", "ragnarok"), optN("lat", 40), optN("lon", 40))
	for b.Loop() {
		if _, err := bt.teleportFind(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}
