package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/storage"
)

// The wiring from Nitrado health to the scheduler, through the running
// appliance: Nitrado refusing the server details degrades the details cache,
// which pauses the parse job (/healthz says why, once); Nitrado answering
// again resumes it.
func TestNitradoHealthPausesAndResumesParsing(t *testing.T) {
	const id = 1001
	fake := nitradotest.NewServer(nitradotest.Options{})
	defer fake.Close()
	fake.AddService(nitradotest.Service{ID: id, Name: "Ragnarok", Map: "Ragnarok_WP", RCONPassword: "pause-test-rcon-pw"})
	// 401 is not retried (by the client or the cache): degraded at once.
	fake.Fail(nitradotest.Fault{Path: "/services/1001/gameservers", Status: 401, Message: "token expired"})

	cfg := testConfig(t)
	cfg.NitradoURL, cfg.NitradoToken = fake.URL(), config.Secret(fake.Token())
	cfg.PingInterval = time.Second
	ctx := context.Background()
	db, err := storage.Open(ctx, cfg.DBPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertGuild(ctx, &storage.Guild{ID: cfg.GuildIDs[0], Name: "g"}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddServer(ctx, &storage.Server{GuildID: cfg.GuildIDs[0], ServiceID: id, Name: "Ragnarok", Map: "Ragnarok_WP", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	var logs syncBuffer
	addr, stopOnce := startAppliance(t, cfg, &logs, "")
	stopped := false
	stop := func() error { stopped = true; return stopOnce() }
	defer func() {
		if !stopped {
			stop()
		}
	}()
	job := "job/" + jobs.ParseJobName(id)

	h := waitComponent(t, addr, job, StateDegraded)
	detail := componentDetail(h, job)
	if !strings.HasPrefix(detail, "paused: nitrado degraded") || strings.Contains(detail, "paused: paused") {
		t.Errorf("paused job detail %q", detail)
	}
	if d := componentDetail(h, "nitrado"); !strings.Contains(d, "401") && !strings.Contains(strings.ToLower(d), "token") {
		t.Errorf("nitrado detail %q", d)
	}

	fake.ClearFaults() // Nitrado answers again: the next /ping recovers
	waitComponent(t, addr, "nitrado", StateOK)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var h healthReport
		getJSON(t, "http://"+addr+"/healthz", &h)
		if d := componentDetail(h, job); !strings.HasPrefix(d, "paused") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("parse job still paused after Nitrado recovered: %+v", h.Components)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if s := logs.String(); !strings.Contains(s, "jobs paused") || !strings.Contains(s, "nitrado recovered") {
		t.Errorf("log lacks the pause and the recovery:\n%s", s)
	}
}

func componentDetail(h healthReport, name string) string {
	for _, c := range h.Components {
		if c.Name == name {
			return c.Detail
		}
	}
	return ""
}
