package nitradotest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado/nitradotest"
)

func do(t *testing.T, s *nitradotest.Server, method, path, token string, body io.Reader, ct string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	return resp, m
}

func TestAuthAndEnvelope(t *testing.T) {
	s := nitradotest.New(t)
	s.AddService(nitradotest.Service{ID: 5, Name: "x", RCONPassword: "pw"})
	resp, m := do(t, s, "GET", "/ping", "", nil, "")
	if resp.StatusCode != 401 || m["status"] != "error" {
		t.Fatalf("no token: %d %v", resp.StatusCode, m)
	}
	resp, m = do(t, s, "GET", "/ping", s.Token(), nil, "")
	if resp.StatusCode != 200 || m["message"] != "All systems operate as expected." || resp.Header.Get("X-RateLimit-Limit") != "4000" {
		t.Fatalf("ping: %d %v", resp.StatusCode, m)
	}
	_, m = do(t, s, "GET", "/services/5/gameservers", s.Token(), nil, "")
	gs := m["data"].(map[string]any)["gameserver"].(map[string]any)
	cfg := gs["settings"].(map[string]any)["config"].(map[string]any)
	if gs["rcon_port"].(float64) != 27020 || cfg["current-admin-password"] != "pw" || gs["game"] != "arksa" {
		t.Fatalf("gameserver: %v", gs)
	}
	if resp, _ := do(t, s, "GET", "/services/6/gameservers", s.Token(), nil, ""); resp.StatusCode != 404 {
		t.Fatalf("unknown service: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "GET", "/services/5/gameservers/restart", s.Token(), nil, ""); resp.StatusCode != 405 {
		t.Fatalf("wrong method: %d", resp.StatusCode)
	}
	calls := s.Calls()
	if len(calls) != 5 || calls[0].Authorized || !calls[1].Authorized || calls[0].Status != 401 {
		t.Fatalf("calls: %+v", calls)
	}
}

func TestPostForms(t *testing.T) {
	s := nitradotest.New(t)
	s.AddService(nitradotest.Service{ID: 5})
	do(t, s, "POST", "/services/5/gameservers/stop", s.Token(), strings.NewReader(url.Values{"stop_message": {"bye"}}.Encode()), "application/x-www-form-urlencoded")
	if svc, _ := s.Service(5); svc.Status != "stopped" {
		t.Fatalf("status %q", svc.Status)
	}
	do(t, s, "POST", "/services/5/gameservers/restart", s.Token(), strings.NewReader(`{"message":"why","restart_message":null}`), "application/json")
	calls := s.Calls()
	if calls[0].Form.Get("stop_message") != "bye" || calls[1].Form.Get("message") != "why" || calls[1].Form.Has("restart_message") {
		t.Fatalf("forms: %v %v", calls[0].Form, calls[1].Form)
	}
	if svc, _ := s.Service(5); svc.Status != "started" {
		t.Fatalf("status %q", svc.Status)
	}
}

func TestFaults(t *testing.T) {
	s := nitradotest.New(t)
	s.Fail(nitradotest.Fault{Method: "GET", Path: "/ping", Status: 503, Count: 2, Header: http.Header{"Retry-After": {"1"}}})
	for i, want := range []int{503, 503, 200} {
		resp, _ := do(t, s, "GET", "/ping", s.Token(), nil, "")
		if resp.StatusCode != want {
			t.Fatalf("call %d: %d", i, resp.StatusCode)
		}
		if want == 503 && resp.Header.Get("Retry-After") != "1" {
			t.Fatal("fault header missing")
		}
	}
	// Latency-only fault answers normally.
	s.Fail(nitradotest.Fault{Path: "/services", Latency: time.Millisecond, Count: 1})
	if resp, _ := do(t, s, "GET", "/services", s.Token(), nil, ""); resp.StatusCode != 200 {
		t.Fatalf("latency fault: %d", resp.StatusCode)
	}
	// Drop closes the connection.
	s.Fail(nitradotest.Fault{Path: "/ping", Drop: true, Count: 1})
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := fresh.Get(s.URL() + "/ping"); err == nil {
		t.Fatal("dropped connection answered")
	}
	s.ClearFaults()
	if n := s.CountCalls("GET", "/ping"); n != 4 {
		t.Fatalf("ping calls = %d", n)
	}
	calls := s.Calls()
	if last := calls[len(calls)-1]; last.Status != 0 || !last.Fault {
		t.Fatalf("dropped call record: %+v", last)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 {
		t.Fatal("reset")
	}
}

func TestDownloadNeedsToken(t *testing.T) {
	s := nitradotest.New(t)
	s.AddService(nitradotest.Service{ID: 5})
	s.AddFileBytes(5, "/a/b.txt", []byte("data"))
	_, m := do(t, s, "GET", "/services/5/gameservers/file_server/download?file=/a/b.txt", s.Token(), nil, "")
	tok := m["data"].(map[string]any)["token"].(map[string]any)
	u := tok["url"].(string)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("without token: %d", resp.StatusCode)
	}
	resp, err = http.Get(u + "?token=" + tok["token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "data" {
		t.Fatalf("body %q", b)
	}
	resp, m = do(t, s, "GET", "/services/5/gameservers/file_server/download?file=/nope", s.Token(), nil, "")
	if resp.StatusCode != 500 || !strings.Contains(m["message"].(string), "File doesn't exist") {
		t.Fatalf("missing: %d %v", resp.StatusCode, m)
	}
}

func TestCloseAbortsLatency(t *testing.T) {
	s := nitradotest.NewServer(nitradotest.Options{})
	s.Fail(nitradotest.Fault{Latency: time.Hour})
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Get(s.URL() + "/ping")
		if err == nil {
			resp.Body.Close()
			err = errors.New("answered")
		}
		errc <- err
	}()
	for s.CountCalls("", "") == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	if err := <-errc; err == nil {
		t.Fatal("want error")
	}
}

func TestTasks(t *testing.T) {
	s := nitradotest.New(t)
	s.AddService(nitradotest.Service{ID: 7})
	tok := s.Token()
	_, m := do(t, s, "GET", "/services/7/tasks", tok, nil, "")
	if data, _ := m["data"].(map[string]any); m["status"] != "success" || data == nil || len(data["tasks"].([]any)) != 0 {
		t.Fatalf("no tasks: %v", m)
	}
	next := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC) // 04:00 in Berlin
	s.SetTasks(7, nitradotest.Task{NextRun: next},
		nitradotest.Task{ID: 99, Status: "error", Minute: "30", Hour: "*/6", Timezone: "UTC", ActionMethod: "game_server_stop",
			NextRun: next, LastRun: next.Add(-6 * time.Hour), UnixTimes: true, ActionData: map[string]string{"message": "bye"}})
	_, m = do(t, s, "GET", "/services/7/tasks", tok, nil, "")
	tasks := m["data"].(map[string]any)["tasks"].([]any)
	if len(tasks) != 2 {
		t.Fatalf("tasks: %v", m)
	}
	a, b := tasks[0].(map[string]any), tasks[1].(map[string]any)
	if a["id"] != 1.0 || a["service_id"] != 7.0 || a["status"] != "active" || a["minute"] != "0" || a["hour"] != "4" || a["weekday"] != "*" ||
		a["next_run"] != "2026-03-01T04:00:00" || a["last_run"] != nil || a["timezone"] != "Europe/Berlin" ||
		a["action_method"] != "game_server_restart" || a["action_data"] != nil {
		t.Fatalf("default task: %v", a)
	}
	if b["id"] != 99.0 || b["status"] != "error" || b["hour"] != "*/6" || b["next_run"] != float64(next.Unix()) ||
		b["last_run"] != float64(next.Add(-6*time.Hour).Unix()) || b["action_method"] != "game_server_stop" || b["action_data"].(map[string]any)["message"] != "bye" {
		t.Fatalf("second task: %v", b)
	}
	// A guest token without the scheduled-restart read role gets 403.
	s.SetRoles(7, nitradotest.RoleGeneralControl)
	resp, m := do(t, s, "GET", "/services/7/tasks", tok, nil, "")
	if resp.StatusCode != http.StatusForbidden || m["status"] != "error" || !strings.Contains(m["message"].(string), nitradotest.RoleScheduledRestartRead) {
		t.Fatalf("403: %d %v", resp.StatusCode, m)
	}
	s.SetRoles(7, nitradotest.RoleGeneralControl, nitradotest.RoleScheduledRestartRead)
	if resp, _ := do(t, s, "GET", "/services/7/tasks", tok, nil, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("with the role: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "POST", "/services/7/tasks", tok, nil, ""); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "GET", "/services/8/tasks", tok, nil, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown service: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "GET", "/services/7/tasks", "wrong", nil, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
}
