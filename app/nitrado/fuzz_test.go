package nitrado

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecode feeds untrusted bytes to every response decoder; they must
// return errors, never panic.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"gameserver":{"status":"started","ip":"1.2.3.4","port":"7777","rcon_port":27020,"settings":{"config":{"map":"Mod:1:X_WP","current-admin-password":"p"}},"query":{"players":[{"id":5,"name":"a"}]},"game_specific":{"path":"/","features":{"has_rcon":true}}}}`,
		`{"gameserver":{"query":[],"settings":[],"game_specific":{"features":[]}}}`,
		`{"services":[{"id":1,"details":{"portlist_short":"arksa"},"start_date":"2017-02-09T22:26:46"}]}`,
		`{"current_page":1,"page_count":"2","boosts":[{"id":"3","extended_for":86400,"boosted_at":"2017-11-10T13:37:00"}]}`,
		`{"stats":{"cpuUsage":[[1.5,1700000000],[null,1700000300]]}}`,
		`{"entries":[{"type":"file","size":"12","modified_at":1700000000}]}`,
		`{"token":{"url":"http://x/y","token":"t"}}`,
		`{"tasks":[{"id":8394912,"status":"error","minute":"5","hour":"3","day":"*","month":"*","weekday":"*","next_run":"2023-03-11T03:05:00","last_run":"2023-03-10T03:05:16","timezone":"America/Los_Angeles","action_method":"game_server_restart","action_data":null}]}`,
		`{"tasks":[{"id":"1","next_run":1767326400,"last_run":"1767326400000","timezone":"Europe/Berlin","minute":0,"action_data":{"a":[1]}}]}`,
		`{"tasks":{}}`,
		`0 4 * * *`, `*/15 1-5,22 31 2 7`, `5/10 */6 29 2 0-6`,
		`{"tasks":[{"next_run":"2026-01-02T05:00:00+01:00","timezone":"../../etc/passwd"},{"next_run":-1e308}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var gs struct {
			Gameserver *Gameserver `json:"gameserver"`
		}
		if json.Unmarshal(b, &gs) == nil && gs.Gameserver != nil {
			d := gs.Gameserver.Details()
			_ = d.RCONAddr()
			_ = gs.Gameserver.LogValue()
		}
		var svcs struct {
			Services []Service `json:"services"`
		}
		_ = json.Unmarshal(b, &svcs)
		var bp BoostPage
		_ = json.Unmarshal(b, &bp)
		var st struct {
			Stats *Stats `json:"stats"`
		}
		_ = json.Unmarshal(b, &st)
		var fe struct {
			Entries []FileEntry `json:"entries"`
		}
		_ = json.Unmarshal(b, &fe)
		var tl taskList
		if json.Unmarshal(b, &struct {
			Tasks *taskList `json:"tasks"`
		}{&tl}) == nil {
			now := time.Now()
			for _, t := range tl {
				_ = t.Next(now)
				_, _ = t.Enabled(), t.IsRestart()
			}
		}
		_ = parseTime(b, time.UTC)
		if f := bytes.Fields(b); len(f) >= 5 {
			if c, ok := parseCron(string(f[0]), string(f[1]), string(f[2]), string(f[3]), string(f[4])); ok {
				_ = c.next(time.Date(2026, 3, 29, 1, 59, 0, 0, time.UTC), taskLocation("Europe/Berlin"))
			}
		}
		var env envelope
		_ = json.Unmarshal(b, &env)
		_ = jsonError(json.Unmarshal(b, &env), b)
		_ = sanitize(string(b), "tok")
		_ = isNotExistMessage(string(b))
	})
}
