package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/blissark/bliss/app/config"
)

// newLogger builds the process logger. Under journald (JOURNAL_STREAM set)
// timestamps are dropped because journald stamps every line itself.
func newLogger(w io.Writer, level, format string, journald bool) *slog.Logger {
	var lv slog.Level
	switch level {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if journald {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// redactor is the one place secrets are scrubbed from what bliss writes:
// log lines (redactHandler), /healthz and /status details (monitor) and the
// bots' error replies (bots.Options.Redact). It knows the secrets of the
// configuration (bot tokens, the Nitrado token) and learns the RCON
// passwords of the server details as they are used; it also replaces the
// token part of Discord interaction webhook and callback URLs, which
// discordgo puts into its errors. Safe for concurrent use.
type redactor struct {
	mu      sync.RWMutex
	secrets []string // longest first, so a secret containing another is cut whole
}

// redactedText replaces a secret in output.
const redactedText = "[redacted]"

// minSecretLen: shorter values are not scrubbed (a 2-character password
// would cut every number in the log); such passwords are refused by ASA
// anyway.
const minSecretLen = 4

// interactionTokenRE matches the token segment of
// /webhooks/{application}/{token}… and /interactions/{id}/{token}/callback.
var interactionTokenRE = regexp.MustCompile(`(/(?:webhooks|interactions)/[0-9]+/)([A-Za-z0-9_.\-]{8,})`)

// newRedactor returns a redactor that knows cfg's secrets.
func newRedactor(cfg *config.Config) *redactor {
	r := &redactor{}
	if cfg == nil {
		return r
	}
	r.Add(cfg.NitradoToken.Reveal())
	for _, b := range config.Bots() {
		r.Add(cfg.Bots[b].Token.Reveal())
	}
	return r
}

// Add registers secrets (blank and very short ones are ignored).
func (r *redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) < minSecretLen || slices.Contains(r.secrets, s) {
			continue
		}
		r.secrets = append(r.secrets, s)
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// Redact returns s with every known secret and interaction token replaced.
func (r *redactor) Redact(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.mu.RLock()
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, redactedText)
		}
	}
	r.mu.RUnlock()
	if strings.Contains(s, "/webhooks/") || strings.Contains(s, "/interactions/") {
		s = interactionTokenRE.ReplaceAllString(s, "${1}"+redactedText)
	}
	return s
}

// redactHandler scrubs the message and every attribute of a record before
// the next handler formats it.
type redactHandler struct {
	next slog.Handler
	r    *redactor
}

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return redactHandler{h.next.WithAttrs(clean), h.r}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.next.WithGroup(name), h.r}
}

func (h redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		x := v.Any()
		if err, ok := x.(error); ok && err != nil {
			return slog.String(a.Key, h.r.Redact(err.Error()))
		}
		s := fmt.Sprintf("%+v", x)
		if red := h.r.Redact(s); red != s {
			return slog.String(a.Key, red)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// withRedaction wraps log's handler with r.
func withRedaction(log *slog.Logger, r *redactor) *slog.Logger {
	if _, ok := log.Handler().(redactHandler); ok {
		return log
	}
	return slog.New(redactHandler{log.Handler(), r})
}
