package app

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSandboxAssistant plays the Assistant scenes after the servers are
// linked, without the rest of the default scenario: once alone (the
// teleport scene links the player itself) and once after the AP bot's
// chat-code link, as in the default scenario.
func TestSandboxAssistant(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole appliance; skipped with -short")
	}
	for _, tc := range []struct {
		name   string
		before string // default-scenario scene played first ("" none)
		want   string
	}{
		{"alone", "", "[link] @player linked to Survivor 1"},
		{"after ap link", "ap: link by a code said in chat", "verified by chat code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			var out, errb syncBuffer
			scenes := []scene{{name: "connect", run: sceneConnect}, {name: "link servers", run: sceneLinkServers}}
			n := 0
			for _, s := range defaultScenario() {
				if s.name == tc.before {
					scenes = append(scenes, s)
				}
			}
			for _, s := range defaultScenario() {
				if strings.HasPrefix(s.name, "assistant:") {
					scenes = append(scenes, s)
					n++
				}
			}
			if n != 2 || tc.before != "" && len(scenes) != 5 {
				t.Fatalf("scenes missing from the default scenario: %d assistant, %d in all", n, len(scenes))
			}
			opts := sandboxOptions{tmpParent: t.TempDir(), stepTimeout: 45 * time.Second, scenes: scenes}
			err := sandboxMain(ctx, opts, &out, &errb)
			transcript := out.String()
			t.Logf("transcript:\n%s", transcript)
			if err != nil {
				t.Fatalf("sandbox: %v\nstderr:\n%s", err, errb.String())
			}
			for _, want := range []string{tc.want, "Time zone saved", "America/New_York", "3 teleporters in the save", "Your tribe's Tek Teleporter", "Closest bases"} {
				if !strings.Contains(transcript, want) {
					t.Errorf("transcript lacks %q", want)
				}
			}
			if tc.before != "" && strings.Contains(transcript, "[link] @player linked to") {
				t.Error("the teleport scene linked the player again")
			}
		})
	}
}
