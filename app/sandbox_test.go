package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/bots"
)

// TestSandbox plays the default scenario end to end: the real appliance
// (SQLite, bbolt, six discordgo sessions) against the in-process fakes.
func TestSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole appliance; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	parent := t.TempDir()
	goroutines := runtime.NumGoroutine()
	var out, errb syncBuffer
	opts := sandboxOptions{scenario: "default", tmpParent: parent, stepTimeout: 45 * time.Second}
	err := sandboxMain(ctx, opts, &out, &errb)
	transcript := out.String()
	t.Logf("transcript:\n%s", transcript)
	if err != nil {
		t.Fatalf("sandbox: %v\nstderr:\n%s", err, errb.String())
	}
	for _, want := range []string{
		"== Bliss sandbox: 6 bots, 1 guild, 2 Nitrado servers",
		"[master] connected as ",
		"registered 4 commands in Bliss Sandbox",
		"> @player /setup",
		"> @admin /setup",
		"❌ Bliss Guardian Points — invite https://discord.com/oauth2/authorize?client_id=",
		"> @admin /servers add service_id:1001 name:Ragnarok cluster:main",
		"Server linked",
		"Ragnarok (service 1001) in cluster main",
		"[rcon Ragnarok]",
		"RexRider",
		"[jobs] parse/1001 done in ",
		"[jobs] snapshot of Ragnarok (Ragnarok_WP, save v14): 4 players, 2 tribes, 6 tamed / 4 wild dinos, 160 structures in 2 bases, 0 failed rows",
		"base of Synthetic Tribe 1: 80 structures",
		"> @admin /server info server:1002",
		"(Nitrado schedule)", // the fake's daily 04:00 Berlin restart task
		"> @admin /status",
		"Bliss status",
		"Ragnarok (`1001`): 20",
		"== healthz: ok",
		"6/6 bots connected",
		"== done in ",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	// Decay dates follow the run's clock (the synthetic saves are saved
	// now): none lies before the run started.
	started := time.Now().Add(-10 * time.Minute)
	for _, line := range strings.Split(transcript, "\n") {
		_, after, ok := strings.Cut(line, "decays ")
		if !ok {
			continue
		}
		f := append(strings.Fields(after), "", "")
		when, err := time.Parse(time.RFC3339, f[0]) // the parse scene's layout
		if err != nil {
			when, err = time.Parse("2006-01-02 15:04:05Z", f[0]+" "+f[1]) // /info's
		}
		if err != nil {
			continue
		}
		if when.Before(started) {
			t.Errorf("decay date in the past: %s", strings.TrimSpace(line))
		}
	}
	// The player's /setup is refused (the answer right after the command).
	_, afterPlayer, _ := strings.Cut(transcript, "> @player /setup\n")
	refusal, _, _ := strings.Cut(afterPlayer, "\n> ")
	if !strings.Contains(strings.ToLower(refusal), "staff role") || !strings.Contains(refusal, "(only you)") {
		t.Errorf("player's /setup answer is not an ephemeral refusal:\n%s", refusal)
	}
	for _, k := range bots.Kinds() {
		if strings.Contains(transcript, sandboxToken(k)) {
			t.Errorf("the %s token appears in the transcript", k)
		}
	}
	for _, secret := range []string{"nitradotest-token", "sandbox-rcon-", "[REDACTED]"} {
		if strings.Contains(transcript, secret) {
			t.Errorf("transcript contains %q", secret)
		}
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("temporary directory not removed: %v", left)
	}
	// Every goroutine of the appliance and the fakes has ended.
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := waitUntil(wctx, "goroutines to end", func() bool { return runtime.NumGoroutine() <= goroutines }); err != nil {
		buf := make([]byte, 1<<20)
		t.Errorf("%v: %d goroutines, %d before the sandbox:\n%s", err, runtime.NumGoroutine(), goroutines, buf[:runtime.Stack(buf, true)])
	}
}

func TestSandboxFlags(t *testing.T) {
	var out, errb bytes.Buffer
	err := Main(context.Background(), []string{"sandbox", "-scenario", "nope"}, &out, &errb)
	if ExitCode(err) != 2 || !strings.Contains(errb.String(), `unknown scenario "nope"`) {
		t.Errorf("unknown scenario: code %d, stderr %q", ExitCode(err), errb.String())
	}
	errb.Reset()
	err = Main(context.Background(), []string{"sandbox", "-h"}, &out, &errb)
	if ExitCode(err) != 0 || !strings.Contains(errb.String(), "usage: bliss sandbox") {
		t.Errorf("sandbox -h: code %d, stderr %q", ExitCode(err), errb.String())
	}
}

func TestSandboxTranscriptRedacts(t *testing.T) {
	var b bytes.Buffer
	tr := &transcript{w: &b, secrets: []string{"s3cret"}}
	tr.line("token s3cret and s3cret")
	if tr.leaks() != 2 || strings.Contains(b.String(), "s3cret") {
		t.Fatalf("leaks %d, output %q", tr.leaks(), b.String())
	}
}

// TestSandboxFailure: a failing scene ends the run with an error naming
// it, the appliance's log on stderr, everything stopped and removed; a
// secret reaching the transcript is redacted and fails the run.
func TestSandboxFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole appliance; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for _, tc := range []struct {
		name, wantErr, wantOut string
		sc                     scene
	}{
		{"failing scene", "scene broken: on purpose", `✖ scene "broken" failed: on purpose`,
			scene{name: "broken", run: func(ctx context.Context, sb *sandbox) error { return errors.New("on purpose") }}},
		{"leaked token", "appeared 1 times", "leaked [REDACTED]",
			scene{name: "leak", run: func(ctx context.Context, sb *sandbox) error {
				sb.say("leaked %s", sb.bots[bots.Master].Token)
				return nil
			}}},
		{"optional scene", "", `⚠ optional scene "maybe" did not succeed: not yet`,
			scene{name: "maybe", optional: true, run: func(ctx context.Context, sb *sandbox) error { return errors.New("not yet") }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			goroutines := runtime.NumGoroutine()
			var out, errb syncBuffer
			opts := sandboxOptions{tmpParent: parent, stepTimeout: 45 * time.Second,
				scenes: []scene{{name: "connect", run: sceneConnect}, tc.sc}}
			err := sandboxMain(ctx, opts, &out, &errb)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("sandbox: %v\n%s", err, out.String())
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got error %v, want %q\n%s", err, tc.wantErr, out.String())
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("transcript lacks %q:\n%s", tc.wantOut, out.String())
			}
			if tc.wantErr != "" && !strings.Contains(errb.String(), "bliss started") {
				t.Errorf("stderr lacks the appliance log:\n%s", errb.String())
			}
			if left, _ := os.ReadDir(parent); len(left) != 0 {
				t.Errorf("temporary directory not removed: %v", left)
			}
			wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
			defer wcancel()
			if err := waitUntil(wctx, "goroutines to end", func() bool { return runtime.NumGoroutine() <= goroutines }); err != nil {
				t.Errorf("%v: %d goroutines, %d before", err, runtime.NumGoroutine(), goroutines)
			}
		})
	}
}
