package discordtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// OpenSession creates a session for bot with NewSession, lets setup adjust
// it (add handlers, change flags; may be nil), opens it and waits until
// discordgo's State holds every guild the bot is in (GUILD_CREATE is
// processed asynchronously after Open returns). On error the session is
// closed.
func (s *Server) OpenSession(ctx context.Context, bot Bot, setup func(*discordgo.Session)) (*discordgo.Session, error) {
	dg, err := s.NewSession(bot)
	if err != nil {
		return nil, err
	}
	if setup != nil {
		setup(dg)
	}
	if err := dg.Open(); err != nil {
		return nil, err
	}
	guilds := s.botGuilds(bot)
	err = WaitState(ctx, dg, func(st *discordgo.State) bool {
		// State.Guild returns a pointer that discordgo keeps mutating, so
		// read the fields under the state's lock.
		st.RLock()
		defer st.RUnlock()
		for _, id := range guilds {
			ok := false
			for _, g := range st.Guilds {
				if g.ID == id && !g.Unavailable {
					ok = true
				}
			}
			if !ok {
				return false
			}
		}
		return true
	})
	if err != nil {
		_ = dg.Close()
		return nil, err
	}
	return dg, nil
}

func (s *Server) botGuilds(bot Bot) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, gs := range s.guilds {
		if _, ok := gs.members[bot.UserID]; ok {
			out = append(out, id)
		}
	}
	return out
}

// WaitState polls dg.State until cond holds or ctx ends. Use it for state
// that discordgo fills from gateway events asynchronously. cond runs
// without the state's lock; objects returned by State getters are shared
// with discordgo, so read their fields under st.RLock() (and then do not
// call State getters, which lock again).
func WaitState(ctx context.Context, dg *discordgo.Session, cond func(*discordgo.State) bool) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if dg.State != nil && cond(dg.State) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("discordtest: waiting for session state: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// CloseSessions closes the sessions in parallel and waits for all of them
// (discordgo's Close sleeps 1 s each). Nil sessions are skipped.
func CloseSessions(sessions ...*discordgo.Session) {
	var wg sync.WaitGroup
	for _, dg := range sessions {
		if dg != nil {
			wg.Go(func() { _ = dg.Close() })
		}
	}
	wg.Wait()
}
