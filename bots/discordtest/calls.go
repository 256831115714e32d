// The record of every REST call the bots make, for assertions.

package discordtest

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// Call is one REST request the fake received.
type Call struct {
	BotUserID string // "" if the authorization header matched no bot
	Method    string
	Path      string // without the /api/vN prefix, e.g. /channels/1/messages
	Query     url.Values
	Body      []byte // request body (for multipart: the payload_json part)
	Status    int    // status the fake answered
	Response  []byte // response body
	At        time.Time
}

// Calls returns every REST call made with bot's token, in order.
func (s *Server) Calls(bot Bot) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.BotUserID == bot.UserID {
			out = append(out, c)
		}
	}
	return out
}

// AllCalls returns every REST call the fake received, in order.
func (s *Server) AllCalls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Errors returns bot's REST calls that the fake answered with status >= 400.
// A clean test run usually asserts this is empty.
func (s *Server) Errors(bot Bot) []Call {
	var out []Call
	for _, c := range s.Calls(bot) {
		if c.Status >= 400 {
			out = append(out, c)
		}
	}
	return out
}

// WaitCall waits until bot has made a REST call matching route (nil matches
// any) and returns the first such call. Calls already made count.
func (s *Server) WaitCall(ctx context.Context, bot Bot, route RouteMatcher) (Call, error) {
	for {
		s.mu.Lock()
		ch := s.callsNotify
		for _, c := range s.calls {
			if c.BotUserID == bot.UserID && (route == nil || route(c.Method, c.Path)) {
				s.mu.Unlock()
				return c, nil
			}
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Call{}, fmt.Errorf("discordtest: waiting for call: %w", ctx.Err())
		case <-ch:
		}
	}
}

func (s *Server) recordCallLocked(c Call) {
	s.calls = append(s.calls, c)
	close(s.callsNotify)
	s.callsNotify = make(chan struct{})
}
