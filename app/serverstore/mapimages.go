package serverstore

import (
	"context"

	"github.com/blissark/bliss/bots/server"
	"github.com/blissark/bliss/storage"
)

// MapImages implements server.MapImageStore over storage's map_images
// table (the backgrounds staff set with /server mapimage).
type MapImages struct{ DB *storage.DB }

var _ server.MapImageStore = MapImages{}

func mapImage(m storage.MapImage) server.MapImage {
	return server.MapImage{Map: m.Map, PNG: m.PNG, Width: m.Width, Height: m.Height, Bytes: m.Bytes, SetBy: m.SetBy, SetAt: m.SetAt}
}

// SetMapImage implements server.MapImageStore.
func (s MapImages) SetMapImage(ctx context.Context, guildID string, m server.MapImage) error {
	return s.DB.SetMapImage(ctx, storage.MapImage{GuildID: guildID, Map: m.Map, PNG: m.PNG, Width: m.Width, Height: m.Height,
		SetBy: m.SetBy, SetAt: m.SetAt})
}

// MapImage implements server.MapImageStore.
func (s MapImages) MapImage(ctx context.Context, guildID, mapKey string) (server.MapImage, bool, error) {
	m, ok, err := s.DB.GetMapImage(ctx, guildID, mapKey)
	return mapImage(m), ok, err
}

// ClearMapImage implements server.MapImageStore.
func (s MapImages) ClearMapImage(ctx context.Context, guildID, mapKey string) (bool, error) {
	return s.DB.ClearMapImage(ctx, guildID, mapKey)
}

// MapImages implements server.MapImageStore.
func (s MapImages) MapImages(ctx context.Context, guildID string) ([]server.MapImage, error) {
	ms, err := s.DB.MapImages(ctx, guildID)
	out := make([]server.MapImage, len(ms))
	for i, m := range ms {
		out[i] = mapImage(m)
	}
	return out, err
}
