package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/blissark/bliss/bots/master"
)

// Component states shown in /healthz and /metrics.
const (
	StateOK       = "ok"
	StateDegraded = "degraded"
	StateDown     = "down"
	StateDisabled = "disabled"
	StateStarting = "starting"
)

// ComponentStatus is one line of /healthz.
type ComponentStatus struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
}

// statusFunc reports the current state of one or more components.
type statusFunc func(ctx context.Context) []ComponentStatus

// metricsFunc writes extra metrics.
type metricsFunc func(m *metricWriter)

// monitor serves /healthz and /metrics from the registered sources.
type monitor struct {
	started time.Time
	storage statusFunc // storage is special: when it is down the process is unhealthy
	sources []statusFunc
	metrics []metricsFunc
	// redact scrubs secrets from details (nil: none).
	redact func(string) string
}

type healthReport struct {
	Status        string            `json:"status"`
	Version       string            `json:"version"`
	UptimeSeconds int64             `json:"uptime_seconds"`
	Storage       []ComponentStatus `json:"storage"`
	Components    []ComponentStatus `json:"components"`
}

func (m *monitor) report(ctx context.Context) healthReport {
	r := healthReport{Status: StateOK, Version: Version(), UptimeSeconds: int64(time.Since(m.started).Seconds())}
	if m.storage != nil {
		r.Storage = m.storage(ctx)
	}
	for _, s := range m.sources {
		r.Components = append(r.Components, s(ctx)...)
	}
	for _, c := range r.Components {
		if c.State == StateDegraded || c.State == StateDown {
			r.Status = StateDegraded
		}
	}
	for _, c := range r.Storage {
		if c.State != StateOK {
			r.Status = StateDown
		}
	}
	if m.redact != nil {
		for i := range r.Storage {
			r.Storage[i].Detail = m.redact(r.Storage[i].Detail)
		}
		for i := range r.Components {
			r.Components[i].Detail = m.redact(r.Components[i].Detail)
		}
	}
	if r.Storage == nil {
		r.Storage = []ComponentStatus{}
	}
	if r.Components == nil {
		r.Components = []ComponentStatus{}
	}
	return r
}

func (m *monitor) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
		defer cancel()
		r := m.report(ctx)
		w.Header().Set("Content-Type", "application/json")
		if r.Status == StateDown {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		mw := &metricWriter{seen: map[string]bool{}}
		m.writeMetrics(ctx, mw)
		_, _ = io.WriteString(w, mw.b.String())
	})
	return mux
}

func (m *monitor) writeMetrics(ctx context.Context, mw *metricWriter) {
	r := m.report(ctx)
	mw.gauge("bliss_up", "1 while the process runs.", 1)
	mw.gauge("bliss_build_info", "Build information.", 1, "version", r.Version)
	mw.gauge("bliss_uptime_seconds", "Seconds since start.", float64(r.UptimeSeconds))
	healthy := 0.0
	if r.Status == StateOK {
		healthy = 1
	}
	mw.gauge("bliss_healthy", "1 when every component is ok.", healthy)
	for _, c := range append(append([]ComponentStatus{}, r.Storage...), r.Components...) {
		for _, st := range []string{StateOK, StateDegraded, StateDown, StateDisabled, StateStarting} {
			v := 0.0
			if c.State == st {
				v = 1
			}
			mw.gauge("bliss_component_state", "Component state (1 for the current state).", v, "component", c.Name, "state", st)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mw.gauge("go_goroutines", "Number of goroutines.", float64(runtime.NumGoroutine()))
	mw.gauge("go_memstats_heap_alloc_bytes", "Heap bytes in use.", float64(ms.HeapAlloc))
	mw.gauge("go_memstats_sys_bytes", "Bytes obtained from the OS.", float64(ms.Sys))
	if rss, ok := residentBytes(); ok {
		mw.gauge("process_resident_memory_bytes", "Resident set size.", float64(rss))
	}
	for _, f := range m.metrics {
		f(mw)
	}
}

// metricWriter writes the Prometheus text exposition format.
type metricWriter struct {
	b    strings.Builder
	seen map[string]bool
}

func (w *metricWriter) gauge(name, help string, v float64, labels ...string) {
	w.sample(name, "gauge", help, v, labels...)
}

func (w *metricWriter) counter(name, help string, v float64, labels ...string) {
	w.sample(name, "counter", help, v, labels...)
}

func (w *metricWriter) sample(name, typ, help string, v float64, labels ...string) {
	if !w.seen[name] {
		w.seen[name] = true
		fmt.Fprintf(&w.b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	w.b.WriteString(name)
	if len(labels) > 0 {
		w.b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				w.b.WriteByte(',')
			}
			fmt.Fprintf(&w.b, "%s=%q", labels[i], escapeLabel(labels[i+1]))
		}
		w.b.WriteByte('}')
	}
	fmt.Fprintf(&w.b, " %g\n", v)
}

func escapeLabel(s string) string {
	// %q escapes quotes and backslashes; newlines become \n as Prometheus wants.
	return strings.ToValidUTF8(s, "?")
}

func sortStatuses(s []ComponentStatus) {
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
}

// pauser is the part of the scheduler the paused-job detail reads.
type pauser interface{ Paused() (bool, string) }

// pausedDetail is the /healthz detail of a paused job: the pause's own
// reason ("paused: nitrado degraded: …"), never empty and never doubled
// (the job's LastSkip already starts with "paused: ").
func pausedDetail(p pauser) string {
	_, reason := p.Paused()
	reason = strings.TrimSpace(reason)
	for strings.HasPrefix(reason, "paused:") {
		reason = strings.TrimSpace(strings.TrimPrefix(reason, "paused:"))
	}
	if reason == "" {
		return "paused"
	}
	return "paused: " + reason
}

// redactStatus scrubs the error texts /status shows in Discord, as the
// monitor does for /healthz.
func redactStatus(st *master.AppStatus, r *redactor) {
	for i := range st.Caches {
		st.Caches[i].LastError = r.Redact(st.Caches[i].LastError)
	}
	for i := range st.Jobs {
		st.Jobs[i].LastError = r.Redact(st.Jobs[i].LastError)
	}
	for i := range st.Servers {
		st.Servers[i].LastError = r.Redact(st.Servers[i].LastError)
	}
}
