package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/bots"
)

// BenchmarkPlayers10Servers is /players' RCON round on a 10-server cluster,
// 70 players each, every server answering after 20 ms: one parallel round
// costs about one server's latency, not ten.
func BenchmarkPlayers10Servers(b *testing.B) {
	addrs := map[int64]string{}
	var ss []bots.GameServer
	for i := range 10 {
		rc, err := rcontest.New(rcontest.Options{Password: "pw"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { rc.Close() })
		rc.SetLatency(20 * time.Millisecond)
		var ps []rcontest.Player
		for p := range 70 {
			ps = append(ps, rcontest.Player{Name: fmt.Sprintf("Player %d-%d", i, p), EOSID: fmt.Sprintf("0002%028x", i*100+p)})
		}
		rc.SetPlayers(ps...)
		id := int64(1000 + i)
		addrs[id] = rc.Addr()
		ss = append(ss, bots.GameServer{GuildID: "g", ServiceID: id, Name: fmt.Sprint("Map ", i), Cluster: "c"})
	}
	pool := rcon.NewPool(func(_ context.Context, id int64) (rcon.Target, error) {
		return rcon.Target{Addr: addrs[id], Password: "pw"}, nil
	}, rcon.Options{})
	b.Cleanup(func() { pool.Close() })
	bt := &bot{Deps: Deps{RCON: pool, RCONTimeout: 5 * time.Second}}
	ctx := context.Background()
	bt.online(ctx, ss) // dial and authenticate once, as a running appliance has
	for b.Loop() {
		on := bt.online(ctx, ss)
		n := 0
		for _, o := range on {
			if o.err != nil {
				b.Fatal(o.err)
			}
			n += len(o.players)
		}
		if n != 700 {
			b.Fatalf("%d players", n)
		}
	}
}
