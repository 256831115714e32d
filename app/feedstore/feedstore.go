// Package feedstore adapts storage to the live feed's tribe thread
// membership (jobs/livefeed.Members). It is the one adapter, used by app's
// wiring and by the feed's tests.
package feedstore

import (
	"context"

	"github.com/blissark/bliss/jobs/livefeed"
	"github.com/blissark/bliss/storage"
)

// Members implements livefeed.MemberStore over the tribe thread member
// rows, the outbox cursors and the snapshot tables.
type Members struct{ DB *storage.DB }

var _ livefeed.MemberStore = Members{}

func (s Members) Cursors(ctx context.Context, prefix string) (map[string]string, error) {
	return s.DB.CursorsWithPrefix(ctx, prefix)
}

func (s Members) TribePlayers(ctx context.Context, guildID string, servers []int64) ([]livefeed.TribePlayer, error) {
	ps, err := s.DB.TribePlayers(ctx, guildID, servers)
	out := make([]livefeed.TribePlayer, len(ps))
	for i, p := range ps {
		out[i] = livefeed.TribePlayer{UserID: p.DiscordID, ServiceID: p.ServerID, Tribe: p.TribeName}
	}
	return out, err
}

func (s Members) ThreadMembers(ctx context.Context, threadID string) ([]livefeed.ThreadMember, error) {
	rows, err := s.DB.TribeThreadMembers(ctx, threadID)
	out := make([]livefeed.ThreadMember, len(rows))
	for i, r := range rows {
		out[i] = livefeed.ThreadMember{GuildID: r.GuildID, ThreadID: r.ThreadID, UserID: r.DiscordID,
			Added: r.State == storage.ThreadMemberAdded, Attempts: r.Attempts, NextAt: r.NextAt, Error: r.LastError}
	}
	return out, err
}

func (s Members) PutThreadMember(ctx context.Context, m livefeed.ThreadMember) error {
	state := storage.ThreadMemberFailed
	if m.Added {
		state = storage.ThreadMemberAdded
	}
	return s.DB.PutTribeThreadMember(ctx, storage.TribeThreadMember{GuildID: m.GuildID, ThreadID: m.ThreadID, DiscordID: m.UserID,
		State: state, Attempts: m.Attempts, NextAt: m.NextAt, LastError: m.Error})
}

func (s Members) DeleteThreadMember(ctx context.Context, threadID, userID string) error {
	return s.DB.DeleteTribeThreadMember(ctx, threadID, userID)
}
