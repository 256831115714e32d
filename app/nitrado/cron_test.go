package nitrado

import (
	"encoding/json"
	"testing"
	"time"
)

func TestCronNext(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	// Wednesday 2026-03-04 10:17:30 in Berlin (09:17:30 UTC).
	now := time.Date(2026, 3, 4, 10, 17, 30, 0, berlin)
	cases := []struct {
		name                              string
		minute, hour, day, month, weekday string
		loc                               *time.Location
		want                              time.Time // zero: none
	}{
		{"daily 04:00 tomorrow", "0", "4", "*", "*", "*", berlin, time.Date(2026, 3, 5, 4, 0, 0, 0, berlin)},
		{"later today", "30", "10", "*", "*", "*", berlin, time.Date(2026, 3, 4, 10, 30, 0, 0, berlin)},
		{"this minute is past", "17", "10", "*", "*", "*", berlin, time.Date(2026, 3, 5, 10, 17, 0, 0, berlin)},
		{"every 6 h", "0", "*/6", "*", "*", "*", berlin, time.Date(2026, 3, 4, 12, 0, 0, 0, berlin)},
		{"list and range", "15,45", "8-9,22", "*", "*", "*", berlin, time.Date(2026, 3, 4, 22, 15, 0, 0, berlin)},
		{"a/n", "0", "11/5", "*", "*", "*", berlin, time.Date(2026, 3, 4, 11, 0, 0, 0, berlin)},
		{"weekday sunday 7", "0", "3", "*", "*", "7", berlin, time.Date(2026, 3, 8, 3, 0, 0, 0, berlin)},
		{"weekday sunday 0", "0", "3", "*", "*", "0", berlin, time.Date(2026, 3, 8, 3, 0, 0, 0, berlin)},
		{"weekdays 1-5", "0", "9", "*", "*", "1-5", berlin, time.Date(2026, 3, 5, 9, 0, 0, 0, berlin)},
		{"day of month", "0", "0", "1", "*", "*", berlin, time.Date(2026, 4, 1, 0, 0, 0, 0, berlin)},
		{"dom or dow", "0", "0", "1", "*", "5", berlin, time.Date(2026, 3, 6, 0, 0, 0, 0, berlin)},
		{"month", "0", "0", "1", "jan", "*", berlin, time.Time{}},
		{"29 february", "0", "0", "29", "2", "*", berlin, time.Date(2028, 2, 29, 0, 0, 0, 0, berlin)},
		{"31 february never", "0", "0", "31", "2", "*", berlin, time.Time{}},
		{"other zone", "5", "3", "*", "*", "*", la, time.Date(2026, 3, 4, 3, 5, 0, 0, la)}, // now is 01:17 there
		// 2026-03-29 02:30 does not exist in Berlin (clocks go 02:00 → 03:00).
		{"skipped by dst", "30", "2", "29", "3", "*", berlin, time.Date(2027, 3, 29, 2, 30, 0, 0, berlin)},
		{"empty", "", "4", "*", "*", "*", berlin, time.Time{}},
		{"garbage", "x", "4", "*", "*", "*", berlin, time.Time{}},
		{"out of range", "60", "4", "*", "*", "*", berlin, time.Time{}},
		{"reversed range", "0", "5-3", "*", "*", "*", berlin, time.Time{}},
		{"zero step", "*/0", "4", "*", "*", "*", berlin, time.Time{}},
		{"negative", "-1", "4", "*", "*", "*", berlin, time.Time{}},
	}
	for _, tc := range cases {
		c, ok := parseCron(tc.minute, tc.hour, tc.day, tc.month, tc.weekday)
		var got time.Time
		if ok {
			got = c.next(now, tc.loc)
		}
		if !got.Equal(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got.In(tc.loc), tc.want)
		}
	}
}

func TestTaskNextFallsBackToCron(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	task := Task{Minute: "0", Hour: "4", Day: "*", Month: "*", Weekday: "*", Timezone: "Europe/Berlin"}
	want := time.Date(2026, 3, 5, 3, 0, 0, 0, time.UTC) // 04:00 CET
	if got := task.Next(now); !got.Equal(want) {
		t.Fatalf("no next_run: %v", got)
	}
	task.NextRun = now.Add(-time.Hour) // stale
	if got := task.Next(now); !got.Equal(want) {
		t.Fatalf("stale next_run: %v", got)
	}
	task.NextRun = now.Add(time.Hour) // Nitrado's own answer wins
	if got := task.Next(now); !got.Equal(task.NextRun) {
		t.Fatalf("next_run: %v", got)
	}
	task.NextRun, task.Timezone = time.Time{}, "Mars/Olympus"
	if got := task.Next(now); !got.Equal(time.Date(2026, 3, 5, 4, 0, 0, 0, time.UTC)) {
		t.Fatalf("unknown zone: %v", got)
	}
}

// BenchmarkTaskNext is the cost of /server info's fallback per task: a
// daily schedule, and one that never matches (the whole horizon scanned).
func BenchmarkTaskNext(b *testing.B) {
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name string
		task Task
	}{
		{"daily", Task{Minute: "0", Hour: "4", Day: "*", Month: "*", Weekday: "*", Timezone: "Europe/Berlin"}},
		{"never", Task{Minute: "0", Hour: "0", Day: "31", Month: "2", Weekday: "*", Timezone: "Europe/Berlin"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				_ = bc.task.Next(now)
			}
		})
	}
}

// BenchmarkDecodeTasks decodes a reply of 20 tasks (a busy schedule) the
// way Tasks does.
func BenchmarkDecodeTasks(b *testing.B) {
	var buf []byte
	buf = append(buf, `{"tasks":[`...)
	for i := range 20 {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"id":8394912,"service_id":1001,"status":"active","minute":"5","hour":"3","day":"*","month":"*","weekday":"*","next_run":"2026-03-11T03:05:00","last_run":"2026-03-10T03:05:16","timezone":"Europe/Berlin","action_method":"game_server_restart","action_data":null}`...)
	}
	buf = append(buf, `]}`...)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		var data struct {
			Tasks taskList `json:"tasks"`
		}
		if err := json.Unmarshal(buf, &data); err != nil || len(data.Tasks) != 20 {
			b.Fatal(err)
		}
	}
}
