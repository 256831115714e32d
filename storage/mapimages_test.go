package storage_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/blissark/bliss/storage"
)

// TestMapImages: set, replace, list, clear; guilds are isolated; bad input
// is refused.
func TestMapImages(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	png1, png2 := []byte("\x89PNG one"), []byte("\x89PNG two, longer")
	if err := db.SetMapImage(ctx, storage.MapImage{GuildID: "g", Map: "theisland", PNG: png1, Width: 10, Height: 8, SetBy: "staff"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.GetMapImage(ctx, "other", "theisland"); ok || err != nil {
		t.Fatalf("another guild sees the image: %v %v", ok, err)
	}
	m, ok, err := db.GetMapImage(ctx, "g", "theisland")
	if err != nil || !ok || !bytes.Equal(m.PNG, png1) || m.Width != 10 || m.Height != 8 || m.SetBy != "staff" ||
		!m.SetAt.Equal(now) || m.Bytes != len(png1) {
		t.Fatalf("get: %+v %v %v", m, ok, err)
	}
	now = now.Add(time.Hour)
	if err := db.SetMapImage(ctx, storage.MapImage{GuildID: "g", Map: "theisland", PNG: png2, Width: 20, Height: 16, SetBy: "admin"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMapImage(ctx, storage.MapImage{GuildID: "g", Map: "ragnarok", PNG: png1, Width: 1, Height: 1}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMapImage(ctx, storage.MapImage{GuildID: "h", Map: "aberration", PNG: png1, Width: 1, Height: 1}); err != nil {
		t.Fatal(err)
	}
	list, err := db.MapImages(ctx, "g")
	if err != nil || len(list) != 2 || list[0].Map != "ragnarok" || list[1].Map != "theisland" || list[1].SetBy != "admin" ||
		list[1].Bytes != len(png2) || list[1].PNG != nil || !list[1].SetAt.Equal(now) {
		t.Fatalf("list: %+v %v", list, err)
	}
	if ok, err := db.ClearMapImage(ctx, "h", "theisland"); ok || err != nil {
		t.Fatalf("guild h cleared guild g's image: %v %v", ok, err)
	}
	if ok, err := db.ClearMapImage(ctx, "g", "theisland"); !ok || err != nil {
		t.Fatalf("clear: %v %v", ok, err)
	}
	if ok, err := db.ClearMapImage(ctx, "g", "theisland"); ok || err != nil {
		t.Fatalf("clear twice: %v %v", ok, err)
	}
	if _, ok, _ := db.GetMapImage(ctx, "g", "theisland"); ok {
		t.Fatal("cleared image still there")
	}
	if list, _ := db.MapImages(ctx, "h"); len(list) != 1 || list[0].Map != "aberration" {
		t.Fatalf("guild h: %+v", list)
	}
	for _, bad := range []storage.MapImage{
		{Map: "theisland", PNG: png1, Width: 1, Height: 1},
		{GuildID: "g", PNG: png1, Width: 1, Height: 1},
		{GuildID: "g", Map: "theisland", Width: 1, Height: 1},
		{GuildID: "g", Map: "theisland", PNG: png1},
		{GuildID: "g", Map: "theisland", PNG: make([]byte, storage.MaxMapImageBytes+1), Width: 1, Height: 1},
	} {
		if err := db.SetMapImage(ctx, bad); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("SetMapImage(%s, %q, %d bytes) = %v, want ErrInvalid", bad.GuildID, bad.Map, len(bad.PNG), err)
		}
	}
}
