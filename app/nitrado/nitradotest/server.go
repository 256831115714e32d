// Package nitradotest is a fake of the Nitrado REST API for tests. It serves
// real HTTP on loopback and speaks the documented JSON shapes (the
// {status,message,data} envelope, X-RateLimit-* headers, the two-step file
// download, boost history pages, scheduled tasks), checks the Bearer token
// (and the service role the tasks need), records every call and injects
// faults (status codes with headers, "File doesn't exist" 500, HTML pages,
// truncated bodies, latency, dropped connections).
package nitradotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // task timezones resolve without /usr/share/zoneinfo
)

// DownloadPathPattern matches the file URLs the fake hands out in download
// tokens (/dl/<token>/<name>); use it as Fault.Path.
const DownloadPathPattern = "/dl/*/*"

// DefaultToken is the token a Server accepts unless Options.Token is set.
const DefaultToken = "nitradotest-token-7c4e91d2"

// Options configures NewServer.
type Options struct {
	// Token is the accepted Bearer token; "" selects DefaultToken.
	Token string
	// BoostsPerPage for boost history; 0 selects 20 (Nitrado's value).
	BoostsPerPage int
	// RateLimitPerHour is reported in X-RateLimit-Limit; 0 selects 4000.
	RateLimitPerHour int
}

// Service is a gameserver service held by the fake. Zero fields get
// defaults when added (see AddService).
type Service struct {
	ID             int64
	Name           string // query.server_name and details.name
	Map            string // settings.config.map and query.map
	Status         string // gameserver status; default "started"
	ServiceStatus  string // service status; default "active"
	Game           string // default "arksa"
	IP             string // default "127.0.0.1"
	Port           int    // default 7777
	QueryPort      int    // default 27015
	RCONPort       int    // default 27020
	RCONPassword   string // settings.config["current-admin-password"] and ["admin-password"]
	ServerPassword string // settings.config["server-password"]
	GamePath       string // game_specific.path; default "/games/<username>/ftproot/arksa/"
	Username       string // default "ni<ID>_1"
	Slots          int    // default 70
	PlayerCurrent  int
	Location       string // default "DE"
	// Settings are extra settings merged over the generated ones.
	Settings map[string]map[string]string
	Roles    []string // default ["ROLE_OWNER"]
}

// Boost is one boost history entry.
type Boost struct {
	ID          int64
	Username    string
	ExtendedFor time.Duration
	Amount      string
	Message     string
	BoostedAt   time.Time // written as "2006-01-02T15:04:05" UTC
	Avatar      string
}

// Roles a token can hold on a service (Service.Roles). GET
// /services/{id}/tasks needs RoleOwner or RoleScheduledRestartRead.
const (
	RoleOwner                = "ROLE_OWNER"
	RoleGeneralControl       = "ROLE_WEBINTERFACE_GENERAL_CONTROL"
	RoleScheduledRestartRead = "ROLE_WEBINTERFACE_SCHEDULED_RESTART_READ"
)

// Task is one scheduled task (GET /services/{id}/tasks). Zero fields get
// defaults when set (see SetTasks).
type Task struct {
	ID     int64  // default: its position, from 1
	Status string // default "active" (the fake's choice; Nitrado does not document the values)
	// Cron fields; defaults "0", "4", "*", "*", "*" (daily at 04:00).
	Minute, Hour, Day, Month, Weekday string
	// NextRun and LastRun are written as Nitrado does, zone-less
	// "2006-01-02T15:04:05" in Timezone (unix seconds when UnixTimes);
	// zero is null.
	NextRun, LastRun time.Time
	Timezone         string // default "Europe/Berlin"
	ActionMethod     string // default "game_server_restart"
	ActionData       any    // default null
	UnixTimes        bool
}

// Call is one request the fake received.
type Call struct {
	Time       time.Time // arrival
	Method     string
	Path       string
	Query      url.Values
	Form       url.Values // POST parameters (form or JSON body)
	UserAgent  string
	Authorized bool // the Bearer token (or download token) was valid
	Status     int  // status answered; 0 when the connection was dropped
	Fault      bool // answered by an injected fault
}

// Fault describes an injected failure. Method and Path select requests
// ("" = any; Path is a path.Match pattern such as
// "/services/*/gameservers"). The first matching active fault wins.
type Fault struct {
	Method string
	Path   string
	// Status to answer; 0 with no Body and no Drop means "only add Latency,
	// then answer normally".
	Status int
	// Message for the error envelope; defaults per status (500 → "File
	// doesn't exist" is NOT implied; set it).
	Message string
	// Header is added to the answer (e.g. Retry-After, X-RateLimit-Reset).
	Header http.Header
	// Body replaces the JSON envelope verbatim (HTML pages, truncated JSON).
	// ContentType defaults to application/json.
	Body        string
	ContentType string
	// Count is how many matching requests fail; 0 means every one.
	Count int
	// Latency is waited before answering (aborted when the client leaves).
	Latency time.Duration
	// Drop hijacks the connection and closes it without answering.
	Drop bool
	// StallAfter > 0 answers normally but stops sending the body after
	// StallAfter bytes, holding the connection open (no close, no error)
	// until the client leaves or the server closes: a download that stalls
	// mid-way.
	StallAfter int64
}

type faultState struct {
	Fault
	left   int // remaining; -1 always
	active bool
}

type fileSrc struct {
	local string
	data  []byte
	isMem bool
}

type dlTarget struct {
	serviceID int64
	path      string
	seek      bool  // a file_server/seek slice (seek.go)
	off       int64 // seek offset, negative from the end
	length    int64
}

// Server is the fake. Methods are safe for concurrent use.
type Server struct {
	srv       *httptest.Server
	token     string
	perPage   int
	rateLimit int
	closing   chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex
	order     []int64
	services  map[int64]*Service
	files     map[int64]map[string]fileSrc
	boosts    map[int64][]Boost
	tasks     map[int64][]Task
	dlTokens  map[string]dlTarget
	faults    []*faultState
	calls     []Call
	remaining int
}

// TB is the part of testing.TB that New uses. Declaring it here keeps
// package testing out of the sandbox, the one production user of the fake.
type TB interface {
	Helper()
	Cleanup(func())
}

// New starts a fake with default options and closes it when tb ends.
func New(tb TB) *Server {
	tb.Helper()
	s := NewServer(Options{})
	tb.Cleanup(s.Close)
	return s
}

// NewServer starts a fake on a loopback port. Call Close when done.
func NewServer(opts Options) *Server {
	s := &Server{
		token:     opts.Token,
		perPage:   opts.BoostsPerPage,
		rateLimit: opts.RateLimitPerHour,
		closing:   make(chan struct{}),
		services:  map[int64]*Service{},
		files:     map[int64]map[string]fileSrc{},
		boosts:    map[int64][]Boost{},
		tasks:     map[int64][]Task{},
		dlTokens:  map[string]dlTarget{},
	}
	if s.token == "" {
		s.token = DefaultToken
	}
	if s.perPage <= 0 {
		s.perPage = 20
	}
	if s.rateLimit <= 0 {
		s.rateLimit = 4000
	}
	s.remaining = s.rateLimit
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the base URL to pass as nitrado.Options.BaseURL.
func (s *Server) URL() string { return s.srv.URL }

// Token is the accepted Bearer token.
func (s *Server) Token() string { return s.token }

// Close stops the server, aborting latency waits.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// AddService adds or replaces a service, filling defaults.
func (s *Server) AddService(svc Service) {
	if svc.Status == "" {
		svc.Status = "started"
	}
	if svc.ServiceStatus == "" {
		svc.ServiceStatus = "active"
	}
	if svc.Game == "" {
		svc.Game = "arksa"
	}
	if svc.IP == "" {
		svc.IP = "127.0.0.1"
	}
	if svc.Port == 0 {
		svc.Port = 7777
	}
	if svc.QueryPort == 0 {
		svc.QueryPort = 27015
	}
	if svc.RCONPort == 0 {
		svc.RCONPort = 27020
	}
	if svc.Username == "" {
		svc.Username = fmt.Sprintf("ni%d_1", svc.ID)
	}
	if svc.GamePath == "" {
		svc.GamePath = "/games/" + svc.Username + "/ftproot/arksa/"
	}
	if svc.Slots == 0 {
		svc.Slots = 70
	}
	if svc.Location == "" {
		svc.Location = "DE"
	}
	if svc.Roles == nil {
		svc.Roles = []string{RoleOwner}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.services[svc.ID]; !ok {
		s.order = append(s.order, svc.ID)
	}
	s.services[svc.ID] = &svc
}

// Service returns a copy of the service's current state.
func (s *Server) Service(id int64) (Service, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[id]
	if !ok {
		return Service{}, false
	}
	return *svc, true
}

// SetStatus sets a gameserver status (e.g. "stopped", "restarting").
func (s *Server) SetStatus(id int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc, ok := s.services[id]; ok {
		svc.Status = status
	}
}

// AddFile makes localPath downloadable as remotePath (absolute) of the
// service. The file is read from disk at download time, streamed.
func (s *Server) AddFile(serviceID int64, remotePath, localPath string) {
	s.addFile(serviceID, remotePath, fileSrc{local: localPath})
}

// AddFileBytes makes data downloadable as remotePath of the service.
func (s *Server) AddFileBytes(serviceID int64, remotePath string, data []byte) {
	s.addFile(serviceID, remotePath, fileSrc{data: append([]byte(nil), data...), isMem: true})
}

func (s *Server) addFile(id int64, remote string, src fileSrc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files[id] == nil {
		s.files[id] = map[string]fileSrc{}
	}
	s.files[id][path.Clean("/"+remote)] = src
}

// AddBoost appends boost history entries (listed in the order added).
func (s *Server) AddBoost(serviceID int64, b ...Boost) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.boosts[serviceID] = append(s.boosts[serviceID], b...)
}

// SetTasks replaces the service's scheduled tasks (none by default),
// filling defaults.
func (s *Server) SetTasks(serviceID int64, tasks ...Task) {
	out := make([]Task, len(tasks))
	for i, t := range tasks {
		if t.ID == 0 {
			t.ID = int64(i + 1)
		}
		if t.Status == "" {
			t.Status = "active"
		}
		for _, f := range []struct {
			p   *string
			def string
		}{{&t.Minute, "0"}, {&t.Hour, "4"}, {&t.Day, "*"}, {&t.Month, "*"}, {&t.Weekday, "*"},
			{&t.Timezone, "Europe/Berlin"}, {&t.ActionMethod, "game_server_restart"}} {
			if *f.p == "" {
				*f.p = f.def
			}
		}
		out[i] = t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks[serviceID] = out
}

// SetRoles sets the roles the token holds on a service. Without RoleOwner
// and RoleScheduledRestartRead, GET /services/{id}/tasks answers 403 (a
// guest token lacking the role); the roles are also listed by GET
// /services.
func (s *Server) SetRoles(serviceID int64, roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc, ok := s.services[serviceID]; ok {
		svc.Roles = append([]string(nil), roles...)
	}
}

// Fail injects a fault.
func (s *Server) Fail(f Fault) {
	left := f.Count
	if left <= 0 {
		left = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f, left: left, active: true})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Calls returns a copy of every recorded call, in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CountCalls counts recorded calls matching method ("" any) and the
// path.Match pattern ("" any).
func (s *Server) CountCalls(method, pattern string) int {
	n := 0
	for _, c := range s.Calls() {
		if matches(method, pattern, c.Method, c.Path) {
			n++
		}
	}
	return n
}

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

func matches(method, pattern, gotMethod, gotPath string) bool {
	if method != "" && !strings.EqualFold(method, gotMethod) {
		return false
	}
	if pattern == "" {
		return true
	}
	ok, err := path.Match(pattern, gotPath)
	return err == nil && ok
}

// statusWriter records the answered status in the call log before the
// status line is sent, so a client never sees an answer before its record.
type statusWriter struct {
	http.ResponseWriter
	status int
	record func(status int)
}

// Unwrap lets http.ResponseController reach the connection (Flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.record(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) serve(rw http.ResponseWriter, r *http.Request) {
	form := readForm(r)
	authorized := s.authorized(r)
	s.mu.Lock()
	idx := len(s.calls)
	s.calls = append(s.calls, Call{
		Time: time.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
		Form: form, UserAgent: r.UserAgent(), Authorized: authorized,
	})
	var fault *Fault
	for _, f := range s.faults {
		if f.active && matches(f.Method, f.Path, r.Method, r.URL.Path) {
			if f.left > 0 {
				f.left--
				if f.left == 0 {
					f.active = false
				}
			}
			cp := f.Fault
			fault = &cp
			s.calls[idx].Fault = cp.Drop || cp.Status != 0 || cp.Body != "" || cp.StallAfter > 0
			break
		}
	}
	s.mu.Unlock()

	w := &statusWriter{ResponseWriter: rw, record: func(status int) {
		s.mu.Lock()
		s.calls[idx].Status = status
		s.mu.Unlock()
	}}

	if fault != nil {
		if fault.Latency > 0 {
			t := time.NewTimer(fault.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			case <-s.closing:
				t.Stop()
				return
			}
		}
		if fault.Drop {
			if hj, ok := rw.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler) // fallback: net/http aborts the connection
		}
		if fault.Status != 0 || fault.Body != "" {
			s.writeFault(w, fault)
			return
		}
	}

	var out http.ResponseWriter = w
	if fault != nil && fault.StallAfter > 0 {
		out = &stallWriter{ResponseWriter: w, left: fault.StallAfter, done: r.Context().Done(), closing: s.closing}
	}
	if strings.HasPrefix(r.URL.Path, "/dl/") {
		s.serveDownload(out, r)
		return
	}
	s.rateHeaders(w)
	if !authorized {
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"status": "error", "message": "The provided access token is not valid (anymore).",
			"data": map[string]any{"error_code": "access_token_invalid"},
		})
		return
	}
	s.route(out, r, form)
}

// stallWriter passes left bytes through, flushes them, then blocks until
// the client leaves or the server closes (Fault.StallAfter).
type stallWriter struct {
	http.ResponseWriter
	left    int64
	done    <-chan struct{}
	closing <-chan struct{}
}

func (w *stallWriter) Write(p []byte) (int, error) {
	if int64(len(p)) <= w.left {
		n, err := w.ResponseWriter.Write(p)
		w.left -= int64(n)
		return n, err
	}
	n, _ := w.ResponseWriter.Write(p[:w.left])
	w.left = 0
	_ = http.NewResponseController(w.ResponseWriter).Flush() // the prefix reaches the client
	select {
	case <-w.done:
	case <-w.closing:
	}
	return n, http.ErrHandlerTimeout
}

func (s *Server) authorized(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/dl/") {
		return true // checked against the download token
	}
	return r.Header.Get("Authorization") == "Bearer "+s.token
}

func (s *Server) rateHeaders(w http.ResponseWriter) {
	s.mu.Lock()
	if s.remaining > 0 {
		s.remaining--
	}
	rem := s.remaining
	s.mu.Unlock()
	now := time.Now()
	reset := now.Truncate(time.Hour).Add(time.Hour)
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.rateLimit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(rem))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
}

func defaultMessage(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "The provided access token is not valid (anymore)."
	case http.StatusPreconditionRequired:
		return "Another action is currently in progress for this service."
	case http.StatusTooManyRequests:
		return "Rate limit exceeded."
	case http.StatusServiceUnavailable:
		return "The API is currently in maintenance mode."
	case http.StatusNotFound:
		return "Not found."
	}
	return "Internal error."
}

func (s *Server) writeFault(w http.ResponseWriter, f *Fault) {
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if f.Body != "" {
		ct := f.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.Body)
		return
	}
	msg := f.Message
	if msg == "" {
		msg = defaultMessage(status)
	}
	st := "error"
	if status < 400 {
		st = "success"
	}
	writeJSON(w, status, map[string]any{"status": st, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"status":"error","message":"fake: encode failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"status": "error", "message": msg})
}

func writeData(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "success", "data": data})
}

// readForm returns POST parameters from a form or JSON body.
func readForm(r *http.Request) url.Values {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]any
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		out := url.Values{}
		if json.Unmarshal(body, &m) == nil {
			for k, v := range m {
				if v != nil {
					out.Set(k, fmt.Sprint(v))
				}
			}
		}
		return out
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return url.Values{}
	}
	return r.PostForm
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, form url.Values) {
	p := strings.TrimSuffix(r.URL.Path, "/")
	if p == "/ping" {
		if !allow(w, r, http.MethodGet) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "success", "message": "All systems operate as expected."})
		return
	}
	if p == "/services" {
		if !allow(w, r, http.MethodGet) {
			return
		}
		s.serveServices(w)
		return
	}
	rest, ok := strings.CutPrefix(p, "/services/")
	if !ok {
		writeErr(w, http.StatusNotFound, "Not found.")
		return
	}
	idStr, sub, _ := strings.Cut(rest, "/")
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		writeErr(w, http.StatusNotFound, "Service not found.")
		return
	}
	s.mu.Lock()
	svc, found := s.services[id]
	var cp Service
	if found {
		cp = *svc
	}
	s.mu.Unlock()
	if !found {
		writeErr(w, http.StatusNotFound, "Service not found.")
		return
	}
	switch sub {
	case "gameservers":
		if allow(w, r, http.MethodGet) {
			writeData(w, map[string]any{"gameserver": gameserverJSON(&cp)})
		}
	case "gameservers/restart":
		if allow(w, r, http.MethodPost) {
			s.SetStatus(id, "started")
			writeJSON(w, http.StatusOK, map[string]any{"status": "success", "message": "Server will be restarted now."})
		}
	case "gameservers/stop":
		if allow(w, r, http.MethodPost) {
			s.SetStatus(id, "stopped")
			writeJSON(w, http.StatusOK, map[string]any{"status": "success", "message": "Server will be stopped now."})
		}
	case "gameservers/file_server/list":
		if allow(w, r, http.MethodGet) {
			s.serveList(w, r, &cp)
		}
	case "gameservers/file_server/download":
		if allow(w, r, http.MethodGet) {
			s.serveDownloadToken(w, r, id)
		}
	case "gameservers/file_server/size", "gameservers/file_server/seek":
		if allow(w, r, http.MethodGet) {
			s.serveSeekOrSize(w, r, id, sub)
		}
	case "gameservers/stats":
		if allow(w, r, http.MethodGet) {
			serveStats(w, r, &cp)
		}
	case "gameservers/boost/history":
		if allow(w, r, http.MethodGet) {
			s.serveBoosts(w, r, id)
		}
	case "tasks":
		if allow(w, r, http.MethodGet) {
			s.serveTasks(w, &cp)
		}
	default:
		_ = form
		writeErr(w, http.StatusNotFound, "Not found.")
	}
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	writeErr(w, http.StatusMethodNotAllowed, "Method not allowed.")
	return false
}

func (s *Server) serveServices(w http.ResponseWriter) {
	s.mu.Lock()
	list := make([]map[string]any, 0, len(s.order))
	for _, id := range s.order {
		svc := s.services[id]
		list = append(list, map[string]any{
			"id": svc.ID, "location_id": 1, "status": svc.ServiceStatus, "websocket_token": "ws",
			"user_id": 1, "comment": nil, "auto_extension": false, "auto_extension_duration": nil,
			"auto_extension_external": false, "type": "gameserver", "sub_type": "public",
			"type_human": fmt.Sprintf("Gameserver %d Slots", svc.Slots), "managedroot_id": nil,
			"details": map[string]any{
				"address": net.JoinHostPort(svc.IP, strconv.Itoa(svc.Port)), "name": svc.Name,
				"game": "ARK: Survival Ascended", "portlist_short": svc.Game, "folder_short": svc.Game,
				"slots": svc.Slots, "game_slots": svc.Slots,
			},
			"start_date": "2026-01-01T10:00:00", "suspend_date": "2027-01-01T10:00:00",
			"delete_date": "2027-01-15T10:00:00", "suspending_in": 3600 * 24 * 30, "deleting_in": 3600 * 24 * 44,
			"username": svc.Username, "owner_user_id": 1, "owner_username": "owner",
			"is_xcross": false, "guest_access_count": 0, "roles": svc.Roles, "preorder_start_datetime": nil,
		})
	}
	s.mu.Unlock()
	writeData(w, map[string]any{"services": list})
}

func gameserverJSON(svc *Service) map[string]any {
	config := map[string]string{
		"map":                    svc.Map,
		"current-admin-password": svc.RCONPassword,
		"admin-password":         svc.RCONPassword,
		"server-password":        svc.ServerPassword,
		"SpectatorPassword":      "",
	}
	settings := map[string]map[string]string{
		"config":  config,
		"general": {"expertMode": "false"},
	}
	for cat, kv := range svc.Settings {
		if settings[cat] == nil {
			settings[cat] = map[string]string{}
		}
		for k, v := range kv {
			settings[cat][k] = v
		}
	}
	return map[string]any{
		"status": svc.Status, "last_status_change": time.Now().Unix() - 60, "must_be_started": svc.Status == "stopped",
		"websocket_token": "ws", "hostsystems": map[string]any{"linux": map[string]any{"hostname": "fake01", "status": "online"}},
		"username": svc.Username, "managed_root": false, "user_id": 1, "service_id": svc.ID, "location_id": 1,
		"minecraft_mode": false, "ip": svc.IP, "ipv6": nil, "port": svc.Port, "query_port": svc.QueryPort,
		"rcon_port": svc.RCONPort, "label": "ni", "type": "Gameserver", "memory": "Standard", "memory_mb": 16384,
		"game": svc.Game, "game_human": "ARK: Survival Ascended", "slots": svc.Slots, "location": svc.Location,
		"game_specific": map[string]any{
			"path": svc.GamePath, "update_status": "up_to_date", "last_update": "2026-01-01T10:00:00", "path_available": true,
			"features": map[string]bool{
				"has_backups": true, "has_world_backups": true, "has_application_server": false, "has_container_websocket": false,
				"has_rcon": true, "has_file_browser": true, "has_ftp": true, "has_expert_mode": true, "has_plugin_system": false,
				"has_restart_message_support": true, "has_database": false,
			},
			"log_files": []string{"arksa/ShooterGame/Saved/Logs/ShooterGame.log"}, "config_files": []string{},
		},
		"modpacks":    map[string]any{},
		"credentials": map[string]any{"ftp": map[string]any{"hostname": svc.IP, "port": 21, "username": svc.Username, "password": "ftp-secret"}},
		"settings":    settings,
		"quota":       nil,
		"query": map[string]any{
			"server_name": svc.Name, "connect_ip": net.JoinHostPort(svc.IP, strconv.Itoa(svc.Port)), "map": svc.Map,
			"version": "v45.6", "player_current": svc.PlayerCurrent, "player_max": svc.Slots, "players": []any{},
		},
	}
}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request, svc *Service) {
	dir := r.URL.Query().Get("dir")
	if dir == "" {
		dir = "/games/" + svc.Username
	}
	dir = path.Clean("/" + dir)
	type entry = map[string]any
	var entries []entry
	seenDir := map[string]bool{}
	s.mu.Lock()
	files := make(map[string]fileSrc, len(s.files[svc.ID]))
	for k, v := range s.files[svc.ID] {
		files[k] = v
	}
	s.mu.Unlock()
	prefix := strings.TrimSuffix(dir, "/") + "/"
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if sub, _, deeper := strings.Cut(rest, "/"); deeper {
			if !seenDir[sub] {
				seenDir[sub] = true
				entries = append(entries, entry{"type": "dir", "path": prefix + sub + "/", "name": sub,
					"owner": "ni", "group": "ni", "chmod": "755", "created_at": 1700000000, "modified_at": 1700000000, "accessed_at": 1700000000})
			}
			continue
		}
		src := files[p]
		size, mod := int64(len(src.data)), time.Now()
		if !src.isMem {
			if fi, err := os.Stat(src.local); err == nil {
				size, mod = fi.Size(), fi.ModTime()
			}
		}
		entries = append(entries, entry{"type": "file", "path": p, "name": rest, "size": size,
			"owner": "ni", "group": "ni", "chmod": "644", "created_at": mod.Unix(), "modified_at": mod.Unix(), "accessed_at": mod.Unix()})
	}
	if entries == nil {
		writeErr(w, http.StatusInternalServerError, "Directory doesn't exist")
		return
	}
	writeData(w, map[string]any{"entries": entries})
}

func (s *Server) serveDownloadToken(w http.ResponseWriter, r *http.Request, id int64) {
	file := path.Clean("/" + r.URL.Query().Get("file"))
	s.mu.Lock()
	_, ok := s.files[id][file]
	var tok string
	if ok {
		var b [16]byte
		_, _ = rand.Read(b[:])
		tok = hex.EncodeToString(b[:])
		s.dlTokens[tok] = dlTarget{serviceID: id, path: file}
	}
	s.mu.Unlock()
	if !ok {
		writeErr(w, http.StatusInternalServerError, "Error while downloading: File doesn't exist")
		return
	}
	writeData(w, map[string]any{"token": map[string]any{
		"url":   s.srv.URL + "/dl/" + tok + "/" + path.Base(file),
		"token": tok,
	}})
}

// serveDownload serves /dl/<token>/<name>?token=<token>.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/dl/")
	tok, _, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	tgt, ok := s.dlTokens[tok]
	var src fileSrc
	if ok {
		src, ok = s.files[tgt.serviceID][tgt.path]
	}
	s.mu.Unlock()
	if !ok || r.URL.Query().Get("token") != tok {
		writeErr(w, http.StatusForbidden, "Invalid download token.")
		return
	}
	if tgt.seek {
		s.serveSeekData(w, tgt, src)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if src.isMem {
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(src.data)))
		return
	}
	f, err := os.Open(src.local)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "Error while downloading: File doesn't exist")
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "Error while downloading: File doesn't exist")
		return
	}
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

func serveStats(w http.ResponseWriter, r *http.Request, svc *Service) {
	hours, err := strconv.Atoi(r.URL.Query().Get("hours"))
	if err != nil || hours <= 0 {
		hours = 24
	}
	if hours > 24*31 {
		hours = 24 * 31
	}
	n := hours * 12
	end := time.Now().Truncate(5 * time.Minute).Unix()
	series := func(v float64) [][2]float64 {
		out := make([][2]float64, n)
		for i := range out {
			out[i] = [2]float64{v, float64(end - int64(n-1-i)*300)}
		}
		return out
	}
	writeData(w, map[string]any{"stats": map[string]any{
		"currentPlayers": series(float64(svc.PlayerCurrent)),
		"maxPlayers":     series(float64(svc.Slots)),
		"cpuUsage":       series(12.5),
		"memoryUsage":    series(8192),
	}})
}

func hasRole(roles []string, want ...string) bool {
	for _, r := range roles {
		for _, w := range want {
			if r == w {
				return true
			}
		}
	}
	return false
}

func (s *Server) serveTasks(w http.ResponseWriter, svc *Service) {
	if !hasRole(svc.Roles, RoleOwner, RoleScheduledRestartRead) {
		// The fake's wording; Nitrado's own text is not documented.
		writeErr(w, http.StatusForbidden, "Access denied: the token lacks the permission "+RoleScheduledRestartRead+".")
		return
	}
	s.mu.Lock()
	tasks := append([]Task(nil), s.tasks[svc.ID]...)
	s.mu.Unlock()
	list := make([]map[string]any, 0, len(tasks))
	for _, t := range tasks {
		loc, err := time.LoadLocation(t.Timezone)
		if err != nil {
			loc = time.UTC
		}
		stamp := func(at time.Time) any {
			switch {
			case at.IsZero():
				return nil
			case t.UnixTimes:
				return at.Unix()
			}
			return at.In(loc).Format("2006-01-02T15:04:05")
		}
		list = append(list, map[string]any{
			"id": t.ID, "service_id": svc.ID, "status": t.Status,
			"minute": t.Minute, "hour": t.Hour, "day": t.Day, "month": t.Month, "weekday": t.Weekday,
			"next_run": stamp(t.NextRun), "last_run": stamp(t.LastRun), "timezone": t.Timezone,
			"action_method": t.ActionMethod, "action_data": t.ActionData,
		})
	}
	writeData(w, map[string]any{"tasks": list})
}

func (s *Server) serveBoosts(w http.ResponseWriter, r *http.Request, id int64) {
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	s.mu.Lock()
	all := append([]Boost(nil), s.boosts[id]...)
	s.mu.Unlock()
	pages := (len(all) + s.perPage - 1) / s.perPage
	if pages == 0 {
		pages = 1
	}
	list := []map[string]any{}
	if start := (page - 1) * s.perPage; start < len(all) {
		end := min(start+s.perPage, len(all))
		for _, b := range all[start:end] {
			list = append(list, map[string]any{
				"id": b.ID, "username": b.Username, "extended_for": int64(b.ExtendedFor / time.Second),
				"amount": b.Amount, "message": b.Message, "boosted_at": b.BoostedAt.UTC().Format("2006-01-02T15:04:05"),
				"avatar": b.Avatar,
			})
		}
	}
	writeData(w, map[string]any{
		"current_page": page, "boosts_per_page": s.perPage, "page_count": pages,
		"boosts_count": len(all), "boosts": list,
	})
}
