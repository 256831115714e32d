// Client wiring: the transport, HTTP client, dialer and sessions that point
// discordgo at the fake.

package discordtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// rewriteTransport sends discord.com requests to the fake.
type rewriteTransport struct {
	host string
	base *http.Transport
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := strings.ToLower(req.URL.Hostname())
	if h != "discord.com" && !strings.HasSuffix(h, ".discord.com") &&
		h != "discordapp.com" && !strings.HasSuffix(h, ".discordapp.com") &&
		req.URL.Host != t.host {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("discordtest: refusing request to non-Discord host %q", req.URL.Host)
	}
	r2 := req.Clone(req.Context())
	u := *req.URL
	u.Scheme = "http"
	u.Host = t.host
	r2.URL = &u
	r2.Host = t.host
	return t.base.RoundTrip(r2)
}

// Transport returns a new RoundTripper that rewrites requests for
// discord.com (and discordapp.com) to the fake and refuses any other host.
// Every call returns an independent transport; the fake closes their idle
// connections on Close.
func (s *Server) Transport() http.RoundTripper {
	base := &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	s.mu.Lock()
	s.transports = append(s.transports, base)
	s.mu.Unlock()
	return &rewriteTransport{host: s.host, base: base}
}

// HTTPClient returns a new *http.Client using Transport(). Assign it to
// discordgo.Session.Client; use one per session.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: s.Transport(), Timeout: 20 * time.Second}
}

// Dialer returns a new websocket.Dialer for Session.Dialer (never share
// websocket.DefaultDialer). It dials the fake whatever host the URL names.
func (s *Server) Dialer() *websocket.Dialer {
	host := s.host
	return &websocket.Dialer{
		HandshakeTimeout: 5 * time.Second,
		NetDialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, host)
		},
	}
}

// NewSession returns an unopened discordgo session for bot, wired to the
// fake: own Client and Dialer, ShouldReconnectOnError=true,
// LogLevel=LogError. Callers may adjust fields before Open.
func (s *Server) NewSession(bot Bot) (*discordgo.Session, error) {
	dg, err := discordgo.New("Bot " + bot.Token)
	if err != nil {
		return nil, err
	}
	dg.Client = s.HTTPClient()
	dg.Dialer = s.Dialer()
	dg.ShouldReconnectOnError = true
	dg.LogLevel = discordgo.LogError
	return dg, nil
}
