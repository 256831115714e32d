package storage_test

import (
	"fmt"
	"testing"

	"github.com/blissark/bliss/storage"
)

func BenchmarkAddServer(b *testing.B) {
	db := MustOpen(b)
	mustGuild(b, db, "g")
	ctx := b.Context()
	var id int64
	for b.Loop() {
		id++
		if err := db.AddServer(ctx, &storage.Server{GuildID: "g", ServiceID: id, Name: "s", Enabled: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListServers(b *testing.B) {
	db := MustOpen(b)
	ctx := b.Context()
	for g := range 10 {
		gid := fmt.Sprint(g)
		mustGuild(b, db, gid)
		for s := range 10 {
			if err := db.AddServer(ctx, &storage.Server{GuildID: gid, ServiceID: int64(s + 1), Name: fmt.Sprint("s", s)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ss, err := db.ListServers(ctx, "5")
			if err != nil || len(ss) != 10 {
				b.Fatalf("ListServers = %d, %v", len(ss), err)
			}
		}
	})
}
