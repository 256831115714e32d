package nitrado_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
)

const tasksPath = "/services/1001/tasks"

// tasksReply answers GET /services/1001/tasks with body (the envelope
// verbatim), over HTTP through the fake.
func tasksReply(t *testing.T, status int, body string) ([]nitrado.Task, error) {
	t.Helper()
	e := setup(t, nitrado.Options{RetryMax: -1})
	e.fake.Fail(nitradotest.Fault{Method: "GET", Path: tasksPath, Status: status, Body: body})
	tasks, err := e.c.Tasks(context.Background(), 1001)
	if n := e.fake.CountCalls("GET", tasksPath); n != 1 {
		t.Fatalf("GET %s called %d times", tasksPath, n)
	}
	return tasks, err
}

func TestTasksDecodes(t *testing.T) {
	// The first task is the shape seen in the wild (zone-less times in the
	// task's zone, cron fields as strings); the others vary every field.
	body := `{"status":"success","data":{"tasks":[
		{"id":8394912,"status":"error","minute":"5","hour":"3","day":"*","month":"*","weekday":"*",
		 "next_run":"2023-03-11T03:05:00","last_run":"2023-03-10T03:05:16","timezone":"America/Los_Angeles",
		 "action_method":"game_server_restart","action_data":null},
		{"id":"12","service_id":"1001","status":"active","minute":0,"hour":4,"day":"*","month":"*","weekday":"1-5",
		 "next_run":1767326400,"last_run":null,"timezone":"Europe/Berlin","action_method":"game_server_restart",
		 "action_data":{"message":"daily"},"something_new":[1,2,{"x":null}]},
		{"id":13,"status":"disabled","next_run":"1767330000","timezone":"Not/AZone","action_method":"game_server_stop"},
		{"id":14,"next_run":"2026-01-02T05:00:00+01:00","last_run":"garbage","action_method":" game_server_restart "},
		{"id":15,"next_run":"2026-01-02 06:00:00","timezone":"","action_method":"game_server_restart"},
		{"id":16,"next_run":1767326400000,"last_run":-5,"action_method":"game_server_restart"},
		{"id":17}
	]}}`
	tasks, err := tasksReply(t, 200, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 7 {
		t.Fatalf("%d tasks", len(tasks))
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	want := []struct {
		id               int64
		next, last       time.Time
		restart, enabled bool
	}{
		{8394912, time.Date(2023, 3, 11, 3, 5, 0, 0, la), time.Date(2023, 3, 10, 3, 5, 16, 0, la), true, true},
		{12, time.Unix(1767326400, 0), time.Time{}, true, true},
		{13, time.Unix(1767330000, 0), time.Time{}, false, false},
		{14, time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC), time.Time{}, true, true},
		{15, time.Date(2026, 1, 2, 6, 0, 0, 0, time.UTC), time.Time{}, true, true},
		{16, time.Unix(1767326400, 0), time.Time{}, true, true},
		{17, time.Time{}, time.Time{}, false, true},
	}
	for i, w := range want {
		got := tasks[i]
		if got.ID != w.id || !got.NextRun.Equal(w.next) || !got.LastRun.Equal(w.last) || got.IsRestart() != w.restart || got.Enabled() != w.enabled {
			t.Errorf("task %d: %+v, want id %d next %v last %v restart %v enabled %v", i, got, w.id, w.next, w.last, w.restart, w.enabled)
		}
		if got.ServiceID != 1001 {
			t.Errorf("task %d: service id %d", i, got.ServiceID)
		}
	}
	first := tasks[0]
	if first.Status != "error" || first.Minute != "5" || first.Hour != "3" || first.Day != "*" || first.Month != "*" || first.Weekday != "*" ||
		first.Timezone != "America/Los_Angeles" || string(first.ActionData) != "null" {
		t.Errorf("first task fields: %+v", first)
	}
	if tasks[1].Minute != "0" || tasks[1].Hour != "4" || tasks[1].Weekday != "1-5" || string(tasks[1].ActionData) != `{"message":"daily"}` {
		t.Errorf("second task fields: %+v", tasks[1])
	}
	// Next: a future next run, else the cron fields in the task's zone
	// (the first task's next_run is years old: 03:05 Los Angeles time
	// after now), else nothing.
	now := time.Unix(1767326400, 0).Add(-time.Hour)
	if got, want := tasks[0].Next(now), time.Date(2026, 1, 2, 3, 5, 0, 0, la); !got.Equal(want) {
		t.Errorf("Next of the stale task: %v, want %v", got, want)
	}
	if !tasks[1].Next(now).Equal(tasks[1].NextRun) || !tasks[6].Next(now).IsZero() {
		t.Errorf("Next: %v %v", tasks[1].Next(now), tasks[6].Next(now))
	}
}

func TestTasksEmpty(t *testing.T) {
	for _, tasks := range []string{`[]`, `null`, `{}`} {
		got, err := tasksReply(t, 200, `{"status":"success","data":{"tasks":`+tasks+`}}`)
		if err != nil || len(got) != 0 {
			t.Fatalf("tasks %s: %v %v", tasks, got, err)
		}
	}
}

func TestTasksMalformed(t *testing.T) {
	cases := []struct {
		name, body string
		status     int
		want       error
		text       string
	}{
		{"no tasks key", `{"status":"success","data":{}}`, 200, nitrado.ErrBadResponse, "no tasks"},
		{"no data", `{"status":"success"}`, 200, nitrado.ErrBadResponse, "no data"},
		{"data is a list", `{"status":"success","data":[]}`, 200, nitrado.ErrBadResponse, "unexpected JSON type"},
		{"tasks a string", `{"status":"success","data":{"tasks":"soon"}}`, 200, nitrado.ErrBadResponse, "tasks"},
		{"tasks an object", `{"status":"success","data":{"tasks":{"1":{"id":1}}}}`, 200, nitrado.ErrBadResponse, "want an array"},
		{"task not an object", `{"status":"success","data":{"tasks":[42]}}`, 200, nitrado.ErrBadResponse, "tasks"},
		{"bad id", `{"status":"success","data":{"tasks":[{"id":"x1"}]}}`, 200, nitrado.ErrBadResponse, "not a number"},
		{"truncated", `{"status":"success","data":{"tasks":[{"id":1,"next_run":"2026-`, 200, nitrado.ErrBadResponse, "truncated JSON"},
		{"html", `<html><title>Oops</title></html>`, 200, nitrado.ErrBadResponse, "HTML"},
		{"403", `{"status":"error","message":"Access denied."}`, 403, nitrado.ErrForbidden, nitrado.RoleScheduledRestartRead},
		{"401", `{"status":"error","message":"Unauthorized."}`, 401, nitrado.ErrInvalidToken, nitrado.RoleScheduledRestartRead},
		{"503", `{"status":"error","message":"Maintenance."}`, 503, nitrado.ErrMaintenance, "http 503"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tasksReply(t, tc.status, tc.body)
			if err == nil || got != nil {
				t.Fatalf("want error, got %v %v", got, err)
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("want %v mentioning %q, got %v", tc.want, tc.text, err)
			}
			if !strings.HasPrefix(err.Error(), "nitrado: service 1001: tasks: ") {
				t.Fatalf("prefix: %v", err)
			}
		})
	}
}

func TestTasksInvalidID(t *testing.T) {
	e := setup(t, nitrado.Options{})
	if _, err := e.c.Tasks(context.Background(), 0); err == nil || !strings.Contains(err.Error(), "invalid service id") {
		t.Fatalf("got %v", err)
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Fatalf("%d calls", n)
	}
}

func TestTasksRetried(t *testing.T) {
	e := setup(t, nitrado.Options{})
	e.fake.Fail(nitradotest.Fault{Method: "GET", Path: tasksPath, Status: 503, Count: 2})
	e.fake.Fail(nitradotest.Fault{Method: "GET", Path: tasksPath, Status: 200,
		Body: `{"status":"success","data":{"tasks":[{"id":1,"action_method":"game_server_restart"}]}}`})
	tasks, err := e.c.Tasks(context.Background(), 1001)
	if err != nil || len(tasks) != 1 || !tasks[0].IsRestart() {
		t.Fatalf("got %v %v", tasks, err)
	}
	if n := e.fake.CountCalls("GET", tasksPath); n != 3 {
		t.Fatalf("attempts %d", n)
	}
}

// TestTasksFromFake reads the fake's tasks through the client: zone-less
// times in the task's zone and unix seconds give the same instants, and a
// token lacking the role is ErrForbidden.
func TestTasksFromFake(t *testing.T) {
	e := setup(t, nitrado.Options{RetryMax: -1})
	ctx := context.Background()
	if tasks, err := e.c.Tasks(ctx, 1001); err != nil || len(tasks) != 0 {
		t.Fatalf("no tasks: %v %v", tasks, err)
	}
	next := time.Now().Add(90 * time.Minute).Truncate(time.Second).UTC()
	e.fake.SetTasks(1001,
		nitradotest.Task{NextRun: next, LastRun: next.Add(-24 * time.Hour)},
		nitradotest.Task{Timezone: "America/Los_Angeles", NextRun: next},
		nitradotest.Task{UnixTimes: true, NextRun: next, Status: "disabled"},
		nitradotest.Task{ActionMethod: "game_server_stop", NextRun: next})
	tasks, err := e.c.Tasks(ctx, 1001)
	if err != nil || len(tasks) != 4 {
		t.Fatalf("tasks: %v %v", tasks, err)
	}
	for i, tk := range tasks {
		if !tk.NextRun.Equal(next) || tk.ServiceID != 1001 || tk.ID != int64(i+1) {
			t.Errorf("task %d: %+v, want next %v", i, tk, next)
		}
	}
	if !tasks[0].LastRun.Equal(next.Add(-24*time.Hour)) || tasks[0].Timezone != "Europe/Berlin" || !tasks[0].IsRestart() || !tasks[0].Enabled() {
		t.Errorf("first task: %+v", tasks[0])
	}
	if tasks[2].Enabled() || tasks[3].IsRestart() {
		t.Errorf("disabled %+v, stop %+v", tasks[2], tasks[3])
	}
	e.fake.SetRoles(1001, nitradotest.RoleGeneralControl)
	if _, err := e.c.Tasks(ctx, 1001); !errors.Is(err, nitrado.ErrForbidden) || !strings.Contains(err.Error(), nitrado.RoleScheduledRestartRead) {
		t.Fatalf("403: %v", err)
	}
}
