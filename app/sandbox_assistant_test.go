package app

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSandboxAssistant plays the Assistant scenes after the servers are
// linked, without the rest of the default scenario.
func TestSandboxAssistant(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole appliance; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out, errb syncBuffer
	scenes := []scene{{name: "connect", run: sceneConnect}, {name: "link servers", run: sceneLinkServers}}
	for _, s := range defaultScenario() {
		if strings.HasPrefix(s.name, "assistant:") {
			scenes = append(scenes, s)
		}
	}
	if len(scenes) != 4 {
		t.Fatalf("assistant scenes not in the default scenario: %d scenes", len(scenes))
	}
	opts := sandboxOptions{tmpParent: t.TempDir(), stepTimeout: 45 * time.Second, scenes: scenes}
	err := sandboxMain(ctx, opts, &out, &errb)
	transcript := out.String()
	t.Logf("transcript:\n%s", transcript)
	if err != nil {
		t.Fatalf("sandbox: %v\nstderr:\n%s", err, errb.String())
	}
	for _, want := range []string{"Time zone saved", "America/New_York", "3 teleporters in the save", "Your tribe's Tek Teleporter", "Closest bases"} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
}
