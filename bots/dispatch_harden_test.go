package bots

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots/embed"
)

// lastEdit returns the last PATCH of @original.
func lastEdit(t *testing.T, rec *recorder) call {
	t.Helper()
	calls := rec.get()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Method == http.MethodPatch && strings.HasSuffix(calls[i].Path, "/messages/@original") {
			return calls[i]
		}
	}
	t.Fatalf("no edit of @original in %+v", calls)
	return call{}
}

// A handler that reaches its timeout still gets an answer: the final edit
// goes out with a context of its own and says "took too long" in red.
func TestDispatchTimedOutHandlerIsAnswered(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  HandlerFunc
	}{
		{"returns ctx.Err", func(ctx context.Context, c *Ctx) (*Response, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}},
		{"wraps ctx.Err", func(ctx context.Context, c *Ctx) (*Response, error) {
			<-ctx.Done()
			return nil, errors.Join(errors.New("query servers"), ctx.Err())
		}},
		{"ignores ctx", func(ctx context.Context, c *Ctx) (*Response, error) {
			<-ctx.Done()
			time.Sleep(100 * time.Millisecond) // a handler that does not stop at once
			return Text("late"), nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRouter().Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "stuck", Description: "Stuck"},
				Access: Everyone, Run: tc.run})
			d, s, rec := testDispatcher(t, r)
			d.deferAfter, d.timeout = 20*time.Millisecond, 200*time.Millisecond
			d.handle(s, command("stuck", member("u", 0)))
			calls := rec.get()
			if len(calls) < 2 || calls[0].Body["type"].(float64) != 5 {
				t.Fatalf("want a deferral then an edit, got %+v", calls)
			}
			edit := lastEdit(t, rec)
			txt := embedText(edit)
			if !strings.Contains(txt, "took too long") {
				t.Fatalf("edit does not say it took too long: %s", txt)
			}
			embeds, _ := edit.Body["embeds"].([]any)
			if len(embeds) != 1 || embeds[0].(map[string]any)["color"].(float64) != embed.ColorError {
				t.Fatalf("not one red embed: %s", txt)
			}
		})
	}
}

// A handler that times out before the deferral is due is answered directly.
func TestDispatchTimeoutBeforeDeferral(t *testing.T) {
	r := NewRouter().Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "stuck", Description: "Stuck"},
		Access: Everyone, Run: func(ctx context.Context, c *Ctx) (*Response, error) { <-ctx.Done(); return nil, ctx.Err() }})
	d, s, rec := testDispatcher(t, r)
	d.deferAfter, d.timeout = time.Hour, 50*time.Millisecond
	d.handle(s, command("stuck", member("u", 0)))
	cb := lastCallback(t, rec)
	if cb.Body["type"].(float64) != 4 || !strings.Contains(embedText(cb), "took too long") {
		t.Fatalf("callback %s", embedText(cb))
	}
}

// The answer context lives as long as the interaction token, not longer.
func TestAnswerCtxBoundedByTokenLife(t *testing.T) {
	created := time.Now().Add(-10 * time.Minute)
	id := strconv.FormatInt((created.UnixMilli()-1420070400000)<<22, 10)
	ctx, cancel := answerCtx(context.Background(), &discordgo.Interaction{ID: id})
	defer cancel()
	dl, ok := ctx.Deadline()
	if !ok || dl.Sub(created.Add(TokenLifetime)).Abs() > 2*time.Second {
		t.Fatalf("deadline %v, want about %v", dl, created.Add(TokenLifetime))
	}
	ctx2, cancel2 := answerCtx(context.Background(), &discordgo.Interaction{ID: "not-a-snowflake"})
	defer cancel2()
	if dl, ok := ctx2.Deadline(); !ok || time.Until(dl) > TokenLifetime {
		t.Fatalf("unparsable id: deadline %v", dl)
	}
}

// The zero Access is refused: Validate names the route and the dispatcher
// never runs it.
func TestAccessZeroValueFailsClosed(t *testing.T) {
	ran := false
	h := func(ctx context.Context, c *Ctx) (*Response, error) { ran = true; return Text("ran"), nil }
	r := NewRouter().
		Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "forgot", Description: "No access set"}, Run: h}).
		Component(&Component{Prefix: "btn", Run: h}).
		Modal(&Component{Prefix: "form", Run: h}).
		Pager("list", AccessUnset, func(context.Context, *Ctx, string, int) ([]*discordgo.MessageEmbed, int, error) { return nil, 1, nil })
	err := r.Validate()
	for _, want := range []string{`command "forgot": Access not set`, `component "btn": Access not set`, `modal "form": Access not set`, `pager "list": Access not set`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
	// Even if such a router were served, nobody (not even an admin) runs it.
	rec := &recorder{}
	s, _ := discordgo.New("Bot test")
	s.Client = &http.Client{Transport: rec}
	d := &dispatcher{kind: Master, router: r, log: slog.New(slog.DiscardHandler), deferAfter: time.Second, timeout: 5 * time.Second,
		start: func() (context.Context, func(), bool) { return context.Background(), func() {}, true }}
	d.handle(s, command("forgot", member("admin", discordgo.PermissionAdministrator)))
	if ran || !strings.Contains(embedText(lastCallback(t, rec)), "not available") {
		t.Fatalf("ran=%v answer %s", ran, embedText(lastCallback(t, rec)))
	}
}

func TestRoutesListsEveryRoute(t *testing.T) {
	r := testRouter()
	r.Component(&Component{Prefix: "btn", Access: Staff, Run: func(context.Context, *Ctx) (*Response, error) { return nil, nil }})
	r.Modal(&Component{Prefix: "form", Access: Everyone, Run: func(context.Context, *Ctx) (*Response, error) { return nil, nil }})
	var got []string
	for _, rt := range r.Routes() {
		got = append(got, string(rt.Kind)+" "+strings.TrimSpace(rt.Name+" "+rt.Sub)+" "+rt.Access.String())
	}
	want := "command ping everyone|command admin staff|command slow everyone|command panic everyone|command fail everyone|" +
		"subcommand cfg log set everyone|subcommand cfg view everyone|component btn staff|modal form everyone|pager items everyone"
	if g := strings.Join(got, "|"); g != want {
		t.Fatalf("Routes:\n%s\nwant\n%s", g, want)
	}
}

// Error replies pass the appliance's redactor: a UserError quoting an
// upstream message never shows a secret it carries.
func TestDispatchErrorRepliesRedacted(t *testing.T) {
	const secret = "rcon-pass-s3cret"
	r := NewRouter().Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "leak", Description: "Leaks"}, Access: Everyone,
		Run: func(ctx context.Context, c *Ctx) (*Response, error) {
			return nil, Errorf("server said: bad password %s", secret)
		}})
	d, s, rec := testDispatcher(t, r)
	d.redact = func(s string) string { return strings.ReplaceAll(s, secret, "[redacted]") }
	d.handle(s, command("leak", member("u", 0)))
	txt := embedText(lastCallback(t, rec))
	if strings.Contains(txt, secret) || !strings.Contains(txt, "bad password [redacted]") {
		t.Fatalf("reply %s", txt)
	}
}
