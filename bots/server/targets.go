package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// Target option values: "all", "cluster:<name>" or a service id.
const (
	targetAll     = "all"
	clusterPrefix = "cluster:"
)

// servers returns the caller's guild's linked servers.
func (b *bot) servers(ctx context.Context, guildID string) ([]bots.GameServer, error) {
	if guildID == "" {
		return nil, &bots.UserError{Msg: "This command only works in a server."}
	}
	ss, err := b.Store.Servers(ctx, guildID)
	if err != nil {
		return nil, fmt.Errorf("servers: %w", err)
	}
	return ss, nil
}

// resolve turns a target option into the guild's servers it names. An
// empty value means def ("all" or "" for none).
func (b *bot) resolve(ctx context.Context, guildID, value, def string) ([]bots.GameServer, string, error) {
	all, err := b.servers(ctx, guildID)
	if err != nil {
		return nil, "", err
	}
	if len(all) == 0 {
		return nil, "", &bots.UserError{Msg: "No game servers are linked yet (staff: /servers add)."}
	}
	v := strings.TrimSpace(value)
	if v == "" {
		v = def
	}
	switch {
	case strings.EqualFold(v, targetAll):
		return all[:min(len(all), maxTargets)], "all servers", nil
	case strings.HasPrefix(strings.ToLower(v), clusterPrefix):
		name := strings.TrimSpace(v[len(clusterPrefix):])
		var out []bots.GameServer
		for _, s := range all {
			if s.Cluster != "" && strings.EqualFold(s.Cluster, name) {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, "", bots.Errorf("No cluster %q here.", bots.SanitizeName(name, 32))
		}
		return out[:min(len(out), maxTargets)], "cluster " + bots.SanitizeName(out[0].Cluster, 32), nil
	}
	if id, ok := bots.ParseServiceID(v); ok {
		for _, s := range all {
			if s.ServiceID == id {
				return []bots.GameServer{s}, serverName(s), nil
			}
		}
	}
	// A typed name: match the guild's servers by name (case-insensitive).
	for _, s := range all {
		if strings.EqualFold(s.Name, v) {
			return []bots.GameServer{s}, serverName(s), nil
		}
	}
	return nil, "", bots.Errorf("No server %q here; pick one from the list.", bots.SanitizeName(v, 40))
}

func serverName(s bots.GameServer) string {
	if n := bots.SanitizeName(s.Name, 40); n != "" {
		return n
	}
	return "server " + strconv.FormatInt(s.ServiceID, 10)
}

func ids(ss []bots.GameServer) []int64 {
	out := make([]int64, len(ss))
	for i, s := range ss {
		out[i] = s.ServiceID
	}
	return out
}

// result is one server's outcome of a cluster command.
type result struct {
	Server bots.GameServer
	Out    string
	Err    error
}

// each runs fn on every server in parallel, each bounded by timeout, and
// returns the results in the servers' order.
func each(ctx context.Context, ss []bots.GameServer, timeout time.Duration, fn func(ctx context.Context, s bots.GameServer) (string, error)) []result {
	out := make([]result, len(ss))
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Add(1)
		go func() { // owned: each waits for wg below
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			o, err := fn(cctx, s)
			if err == nil && cctx.Err() != nil {
				err = cctx.Err()
			}
			out[i] = result{Server: s, Out: o, Err: err}
		}()
	}
	wg.Wait()
	return out
}

// exec runs cmd on every server of ss over RCON.
func (b *bot) exec(ctx context.Context, ss []bots.GameServer, cmd string) []result {
	return each(ctx, ss, b.RCONTimeout, func(ctx context.Context, s bots.GameServer) (string, error) {
		return b.RCON.Exec(ctx, s.ServiceID, cmd)
	})
}

// cause says in words why a server call failed.
func cause(err error) string {
	var rl *nitrado.RateLimitError
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, rcon.ErrNoAnswer):
		return "no answer — wrong password or server down"
	case errors.Is(err, rcon.ErrAuth):
		return "RCON password rejected"
	case errors.Is(err, rcon.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timed out (server busy, restarting or offline?)"
	case errors.Is(err, rcon.ErrUnavailable):
		return "unreachable over RCON (offline or restarting?)"
	case errors.Is(err, rcon.ErrInvalidArgument), errors.Is(err, rcon.ErrInvalidCommand):
		return "invalid command: " + clip(err.Error(), 120)
	case errors.As(err, &rl), errors.Is(err, nitrado.ErrRateLimited):
		return "Nitrado rate limit reached (HTTP 429), try again in a minute"
	case errors.Is(err, nitrado.ErrMaintenance):
		return "Nitrado is unavailable (HTTP 503, maintenance)"
	case errors.Is(err, nitrado.ErrActionInProgress):
		return "Nitrado is still busy with another action on this server"
	case errors.Is(err, nitrado.ErrInvalidToken):
		return "the Nitrado token was rejected"
	case errors.Is(err, nitrado.ErrNotFound):
		return "Nitrado does not know this service"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return clip(err.Error(), 160)
}

func clip(s string, n int) string { return embed.Truncate(bots.SanitizeChat(s, n+10), n) }

// codeBlock renders untrusted output (RCON replies) for Discord: mentions
// neutralised, no way out of the code block.
func codeBlock(s string, max int) string {
	s = strings.ReplaceAll(sanitizeOutput(s, max), "```", "'''")
	if s == "" {
		s = "(no output)"
	}
	return "```\n" + embed.Truncate(s, max) + "\n```"
}

// resultsEmbed summarises a cluster command: one line per server, red when
// any server failed.
func resultsEmbed(title string, rs []result, okText func(r result) string) *discordgo.MessageEmbed {
	var lines []string
	failed := 0
	for _, r := range rs {
		if r.Err != nil {
			failed++
			lines = append(lines, "❌ **"+serverName(r.Server)+"**: "+cause(r.Err))
			continue
		}
		lines = append(lines, "✅ **"+serverName(r.Server)+"**: "+okText(r))
	}
	color := embed.ColorSuccess
	switch {
	case failed == len(rs):
		color = embed.ColorError
	case failed > 0:
		color = embed.ColorWarning
	}
	return embed.New().Color(color).Title(title).Description(strings.Join(lines, "\n")).Embed()
}

// summary is "done on 2 of 3 servers" for the audit log.
func summary(verb string, rs []result) (bool, string) {
	ok := 0
	var bad []string
	for _, r := range rs {
		if r.Err == nil {
			ok++
		} else {
			bad = append(bad, serverName(r.Server)+": "+cause(r.Err))
		}
	}
	s := fmt.Sprintf("%s on %d of %d servers", verb, ok, len(rs))
	if len(bad) > 0 {
		sort.Strings(bad)
		s += " (" + strings.Join(bad, "; ") + ")"
	}
	return ok == len(rs), s
}

func serverList(rs []bots.GameServer) string {
	names := make([]string, len(rs))
	for i, s := range rs {
		names[i] = serverName(s)
	}
	return strings.Join(names, ", ")
}

// sanitizeOutput neutralises mentions and control characters line by line,
// keeping the line structure, within max runes.
func sanitizeOutput(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n") {
		l := neutralise(bots.SanitizeChat(line, 400))
		if l == "" || rcon.IsSilent(l) {
			continue
		}
		if n+len([]rune(l))+1 > max {
			b.WriteString("…")
			break
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
		n += len([]rune(l)) + 1
	}
	return b.String()
}

// neutralise breaks any mention-like token left after SanitizeChat (a
// nested "<@<@1>1>" collapses to "<@1>" once the inner token is removed).
func neutralise(s string) string {
	return strings.NewReplacer("<@", "<\u200b@", "<#", "<\u200b#").Replace(s)
}
