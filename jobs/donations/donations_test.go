package donations_test

import (
	"slices"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/jobs/donations"
)

func TestParseAmount(t *testing.T) {
	for _, c := range []struct {
		in    string
		cents int64
		cur   string
		ok    bool
	}{
		{"$1.00", 100, "USD", true}, {"$12.5", 1250, "USD", true}, {"€5.50", 550, "EUR", true}, {"3.00 GBP", 300, "GBP", true},
		{"10$", 1000, "USD", true}, {"€1,00", 0, "", false}, {"", 0, "", false}, {"$", 0, "", false}, {"$-1.00", 0, "", false},
		{"$1.234", 0, "", false}, {"1.00", 0, "", false}, {"$1e9", 0, "", false}, {"$99999999999", 0, "", false},
	} {
		cents, cur, ok := donations.ParseAmount(c.in)
		if cents != c.cents || cur != c.cur || ok != c.ok {
			t.Errorf("%q: %d %q %v", c.in, cents, cur, ok)
		}
	}
}

func TestNormalizeFlags(t *testing.T) {
	s := donations.Server{GuildID: "g", ServiceID: 7}
	r := donations.Rates{PerUnit: 100, PerDay: 10}
	at := nitrado.Time{Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	good := donations.Normalize(s, nitrado.Boost{ID: 1, Username: "d", ExtendedFor: 84600 * time.Second, Amount: "$1.00", BoostedAt: at}, r)
	if len(good.Flags) != 0 || good.GP != 109 { // 100 + 9.79 days → floor
		t.Fatalf("%+v", good)
	}
	bad := donations.Normalize(s, nitrado.Boost{ExtendedFor: -time.Hour, Amount: "€1,00"}, r)
	for _, f := range []string{"username", "boosted_at", "id", "extended_for", "amount"} {
		if !slices.Contains(bad.Flags, f) {
			t.Errorf("flag %s missing: %v", f, bad.Flags)
		}
	}
	if bad.GP != 0 || bad.BoostID >= 0 {
		t.Fatalf("%+v", bad)
	}
	again := donations.Normalize(s, nitrado.Boost{ExtendedFor: -time.Hour, Amount: "€1,00"}, r)
	if again.BoostID != bad.BoostID {
		t.Fatal("id-less boost keys differ between reads")
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"$1.00", "€1,00", "", "3.00 GBP", "$.5", "US$7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents, cur, ok := donations.ParseAmount(s)
		if ok && (cents < 0 || cents > 1e9 || cur == "") {
			t.Fatalf("%q: %d %q", s, cents, cur)
		}
	})
}
