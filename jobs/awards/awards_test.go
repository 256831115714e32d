package awards_test

import (
	"testing"
	"time"

	"github.com/blissark/bliss/jobs/awards"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func TestComputeSharesMultipliersAndOverlap(t *testing.T) {
	cfg := awards.Config{Rate: 10, Period: time.Hour, Multipliers: map[int64]float64{2: 2}}
	acc := map[string]string{"e1": "a1", "e2": "a2", "e3": "a3"}
	ss := []awards.Session{
		{ServiceID: 1, EOSID: "e1", Joined: t0, Left: t0.Add(90 * time.Minute)},                       // 10 + 5
		{ServiceID: 1, EOSID: "e1", Joined: t0.Add(10 * time.Minute), Left: t0.Add(50 * time.Minute)}, // overlap: still ≤ 10 in hour 1
		{ServiceID: 2, EOSID: "e2", Joined: t0, Left: t0.Add(30 * time.Minute)},                       // ×2: 10
		{ServiceID: 1, EOSID: "e3", Joined: t0, Seen: t0.Add(20 * time.Minute)},                       // open: counts to Seen: 3
		{ServiceID: 1, EOSID: "unlinked", Joined: t0, Left: t0.Add(time.Hour)},
	}
	got := map[string]int64{}
	for _, a := range awards.Compute(cfg, "g", ss, acc, t0, t0.Add(2*time.Hour), t0.Add(3*time.Hour)) {
		got[a.Account] += a.Points
		if a.Key == "" || a.Day != "2026-12-03" {
			t.Errorf("award %+v", a)
		}
	}
	want := map[string]int64{"a1": 15, "a2": 10, "a3": 3}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d, want %d (all %v)", k, got[k], v, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("unlinked player awarded: %v", got)
	}
}

func TestComputeKeysArePerPeriod(t *testing.T) {
	cfg := awards.Config{Rate: 6, Period: 30 * time.Minute}
	ss := []awards.Session{{ServiceID: 1, EOSID: "e", Joined: t0, Left: t0.Add(time.Hour)}}
	a := awards.Compute(cfg, "g", ss, map[string]string{"e": "a"}, t0, t0.Add(time.Hour), t0.Add(time.Hour))
	b := awards.Compute(cfg, "g", ss, map[string]string{"e": "a"}, t0, t0.Add(time.Hour), t0.Add(time.Hour))
	if len(a) != 2 || a[0].Key == a[1].Key || a[0].Key != b[0].Key || a[0].Points != 6 {
		t.Fatalf("%+v", a)
	}
}

func TestApplyStreak(t *testing.T) {
	as := []awards.Award{{Account: "a", Day: "2026-12-03", Points: 10}, {Account: "b", Day: "2026-12-03", Points: 10}}
	days := map[string]map[string]int64{"a": {"2026-12-02": 5, "2026-12-01": 5, "2026-11-29": 5}}
	awards.ApplyStreak(as, days, 10, 7)
	if as[0].Points != 12 || as[1].Points != 10 { // two consecutive days before: +20 %
		t.Fatalf("%+v", as)
	}
}

func BenchmarkCompute10k(b *testing.B) {
	cfg := awards.Config{Rate: 10, Period: time.Hour}
	acc := map[string]string{}
	var ss []awards.Session
	for i := range 10000 {
		e := string(rune('a'+i%26)) + time.Duration(i).String()
		acc[e] = e
		ss = append(ss, awards.Session{ServiceID: 1, EOSID: e, Joined: t0, Left: t0.Add(3 * time.Hour)})
	}
	for b.Loop() {
		awards.Compute(cfg, "g", ss, acc, t0, t0.Add(3*time.Hour), t0.Add(4*time.Hour))
	}
}
