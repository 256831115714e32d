package app

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/jobs"
)

type incidentLog struct {
	mu     sync.Mutex
	raised []bots.Incident
	clears []string
}

func (l *incidentLog) Raise(_ context.Context, in bots.Incident) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.raised = append(l.raised, in)
	return nil
}

func (l *incidentLog) Clear(_ context.Context, guildID, key, note string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clears = append(l.clears, guildID+" "+key)
	return nil
}

// TestIncidentWatch: each source raises once when its threshold is
// crossed, never while below it, and clears when the condition ends; a
// server linked in two guilds raises in both.
func TestIncidentWatch(t *testing.T) {
	ctx := context.Background()
	th := func(_ context.Context, g string) (time.Duration, int, time.Duration) {
		if g == "off" {
			return 0, 0, 0
		}
		return 10 * time.Minute, 3, 15 * time.Minute
	}
	var w incidentWatch
	log := &incidentLog{}
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	srv := func(down bool, run time.Time, lastErr string) serverObs {
		return serverObs{serviceID: 1001, name: "Ragnarok", guilds: []string{"g1", "g2", "off"}, down: down, why: "RCON does not answer",
			hasParse: true, parse: jobs.JobState{LastRun: run, LastErr: lastErr}}
	}
	step := func(at time.Duration, s serverObs, nitradoBad bool) {
		t.Helper()
		obs := watchObs{now: t0.Add(at), servers: []serverObs{s}, guilds: []string{"g1", "g2", "off"}, nitradoBad: nitradoBad,
			nitradoWhy: "503", nitradoSince: t0}
		if err := w.apply(ctx, obs, th, log); err != nil {
			t.Fatal(err)
		}
	}
	count := func(kind string) int {
		n := 0
		for _, in := range log.raised {
			if in.Kind == kind {
				n++
			}
		}
		return n
	}
	step(0, srv(true, t0, "boom"), false)
	step(5*time.Minute, srv(true, t0, "boom"), false)
	if n := count(incidentKindDown); n != 0 {
		t.Fatalf("raised before the threshold: %d", n)
	}
	step(11*time.Minute, srv(true, t0.Add(time.Hour), "boom"), true)
	step(12*time.Minute, srv(true, t0.Add(2*time.Hour), "boom"), true)
	if n := count(incidentKindDown); n != 2 {
		t.Fatalf("server down raised %d times, want once per enabled guild (2)", n)
	}
	if n := count(incidentKindParse); n != 2 {
		t.Fatalf("parse failing raised %d times after 3 failures, want 2", n)
	}
	if n := count(incidentKindNitrdo); n != 0 {
		t.Fatalf("nitrado raised before its threshold")
	}
	// Nitrado unreachable: the server's state is unknown, nothing changes.
	unknown := srv(false, t0.Add(2*time.Hour), "boom")
	unknown.unknown = true
	step(15*time.Minute, unknown, true)
	if len(log.clears) != 0 {
		t.Fatalf("an unknown state cleared: %v", log.clears)
	}
	step(16*time.Minute, srv(false, t0.Add(2*time.Hour), "boom"), true)
	if n := count(incidentKindNitrdo); n != 2 {
		t.Fatalf("nitrado raised %d", n)
	}
	if len(log.clears) != 2 || log.clears[0] != "g1 server_down:1001" {
		t.Fatalf("clears after recovery: %v", log.clears)
	}
	step(17*time.Minute, srv(false, t0.Add(3*time.Hour), ""), false)
	if len(log.clears) != 6 {
		t.Fatalf("clears after parse and nitrado recovered: %v", log.clears)
	}
	// Down again: a new incident after the threshold.
	step(18*time.Minute, srv(true, t0.Add(3*time.Hour), ""), false)
	step(29*time.Minute, srv(true, t0.Add(3*time.Hour), ""), false)
	if n := count(incidentKindDown); n != 4 {
		t.Fatalf("second outage raised %d in total, want 4", n)
	}
}

// TestForwardAction: an automatic ticket's action button reaches the
// router that serves its prefix, as staff only.
func TestForwardAction(t *testing.T) {
	sup, err := bots.NewSupervisor(bots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	r := bots.NewRouter()
	r.Component(&bots.Component{Prefix: "apadm", Access: bots.Staff, Run: func(_ context.Context, c *bots.Ctx) (*bots.Response, error) {
		got = append(got, string(c.Bot)+" "+c.CustomID+" "+c.Args)
		return bots.Text("refunded"), nil
	}})
	if err := sup.Handle(bots.AP, r); err != nil {
		t.Fatal(err)
	}
	a := &appliance{sup: sup}
	ctx := context.Background()
	resp, err := a.forwardAction(ctx, &bots.Ctx{Staff: true, User: &discordgo.User{ID: "1"}}, "apadm:refund:42")
	if err != nil || resp.Content != "refunded" || len(got) != 1 || got[0] != "ap apadm:refund:42 refund:42" {
		t.Fatalf("forward: %v %v %v", resp, err, got)
	}
	if _, err := a.forwardAction(ctx, &bots.Ctx{User: &discordgo.User{ID: "2"}}, "apadm:refund:42"); err == nil {
		t.Fatal("a non-staff click was forwarded")
	}
	if _, err := a.forwardAction(ctx, &bots.Ctx{Staff: true}, "nobody:x"); err == nil {
		t.Fatal("an unknown prefix was accepted")
	}
}
