package assistant

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTimestampZones(t *testing.T) {
	zs := &memZones{}
	b := testBot(t, Deps{Zones: zs})
	ctx := context.Background()
	// Now is 2026-12-03 13:00 UTC. "tomorrow 18:00" in UTC:
	r, err := b.timestamp(ctx, ctxFor(testPlayer, false, optS("when", "tomorrow 18:00")))
	if err != nil {
		t.Fatal(err)
	}
	utc := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC).Unix()
	txt := replyText(r)
	for _, s := range Styles {
		tag := fmt.Sprintf("<t:%d:%s>", utc, s.Code)
		if !strings.Contains(txt, tag+" — "+s.Name) || !strings.Contains(txt, "`"+tag+"`") {
			t.Fatalf("style %s missing:\n%s", s.Code, txt)
		}
	}
	if !strings.Contains(txt, "Read as UTC") {
		t.Fatalf("no UTC hint:\n%s", txt)
	}
	// Saved zone.
	if _, err := b.timezoneSet(ctx, ctxFor(testPlayer, false, optS("zone", "europe/berlin"))); err != nil {
		t.Fatal(err)
	}
	if zs.z[testPlayer] != "Europe/Berlin" {
		t.Fatalf("saved %q", zs.z[testPlayer])
	}
	r, _ = b.timestamp(ctx, ctxFor(testPlayer, false, optS("when", "tomorrow 18:00")))
	berlin := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC).Unix() // CET = UTC+1
	if txt := replyText(r); !strings.Contains(txt, fmt.Sprintf("<t:%d:F>", berlin)) || strings.Contains(txt, "Read as UTC") || !strings.Contains(txt, "Europe/Berlin") {
		t.Fatalf("saved zone:\n%s", txt)
	}
	// The option wins over the saved zone.
	r, _ = b.timestamp(ctx, ctxFor(testPlayer, false, optS("when", "2026-12-24 20:00"), optS("timezone", "America/New_York")))
	ny := time.Date(2026, 12, 25, 1, 0, 0, 0, time.UTC).Unix()
	if txt := replyText(r); !strings.Contains(txt, fmt.Sprintf("<t:%d:R>", ny)) {
		t.Fatalf("option zone:\n%s", txt)
	}
	if r, _ := b.timezoneShow(ctx, ctxFor(testPlayer, false)); !strings.Contains(replyText(r), "Europe/Berlin") {
		t.Fatalf("show: %s", replyText(r))
	}
	if _, err := b.timezoneClear(ctx, ctxFor(testPlayer, false)); err != nil || zs.z[testPlayer] != "" {
		t.Fatalf("clear: %v %v", err, zs.z)
	}
	if r, _ := b.timezoneShow(ctx, ctxFor(testPlayer, false)); !strings.Contains(replyText(r), "No time zone saved") {
		t.Fatalf("show after clear: %s", replyText(r))
	}
	// Refusals are user errors, not internal ones.
	for _, tc := range [][2]string{{"banana", ""}, {"8pm", "Mars/Olympus"}} {
		_, err := b.timestamp(ctx, ctxFor(testPlayer, false, optS("when", tc[0]), optS("timezone", tc[1])))
		if err == nil || !strings.Contains(err.Error(), tc[0]) && !strings.Contains(err.Error(), tc[1]) {
			t.Errorf("%v: %v", tc, err)
		}
	}
	if _, err := b.timezoneSet(ctx, ctxFor(testPlayer, false, optS("zone", "Local"))); err == nil {
		t.Fatal("Local saved")
	}
	// Partial phrases say what was used.
	r, _ = b.timestamp(ctx, ctxFor(testPlayer, false, optS("when", "raid at 8pm tomorrow please")))
	if !strings.Contains(replyText(r), "Only **") {
		t.Fatalf("partial:\n%s", replyText(r))
	}
	r, _ = b.timestamp(ctx, ctxFor(testPlayer, false, optS("when", "yesterday")))
	if !strings.Contains(replyText(r), "in the past") {
		t.Fatalf("past:\n%s", replyText(r))
	}
	r, _ = b.timestamp(ctx, ctxFor(testPlayer, false, optS("when", "in 5 minutes")))
	if strings.Contains(replyText(r), "in the past") {
		t.Fatalf("future called past:\n%s", replyText(r))
	}
	// Autocomplete.
	ch, _ := b.zoneAutocomplete(ctx, ctxFor(testPlayer, false), optS("timezone", "kolk"))
	if len(ch) != 1 || ch[0].Value != "Asia/Kolkata" {
		t.Fatalf("autocomplete: %+v", ch)
	}
}
