package app

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSandboxEconomy plays the AP and GP scenes after the servers are
// linked, without the rest of the default scenario.
func TestSandboxEconomy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole appliance; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out, errb syncBuffer
	scenes := []scene{{name: "connect", run: sceneConnect}, {name: "link servers", run: sceneLinkServers}}
	for _, s := range defaultScenario() {
		if strings.HasPrefix(s.name, "ap:") || strings.HasPrefix(s.name, "gp:") {
			scenes = append(scenes, s)
		}
	}
	opts := sandboxOptions{tmpParent: t.TempDir(), stepTimeout: 45 * time.Second, scenes: scenes}
	err := sandboxMain(ctx, opts, &out, &errb)
	transcript := out.String()
	t.Logf("transcript:\n%s", transcript)
	if err != nil {
		t.Fatalf("sandbox: %v\nstderr:\n%s", err, errb.String())
	}
	for _, want := range []string{"verified by chat code", "attempt 2: delivered on server 1001", "was delivered.", "refunded", "PatOnNitrado boosted", "fulfilled by staff"} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
}
