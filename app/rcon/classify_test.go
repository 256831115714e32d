package rcon

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// classifyCases are the verbatim lines of nitrado-rcon-logs.md §4.3 and the
// addendum §1.3 catalogue, with the class each must get.
var classifyCases = []struct {
	line  string
	class Class
}{
	// presence
	{"[2026.09.13-18.48.40:782][696]2026.09.13_18.48.40: Survivor42 [UniqueNetId:0002c0ffee11d00d4242beef00c0ffee Platform:None] joined this ARK!", ClassJoin},
	{"[2026.09.13-18.50.08:364][320]2026.09.13_18.50.08: Survivor42 [UniqueNetId:0002c0ffee11d00d4242beef00c0ffee Platform:None] left this ARK!", ClassLeave},
	{"[2026.09.13-18.48.40:782][  1]2026.09.13_18.48.40: Two Words [Tribe] [UniqueNetId:ABCDEF0123456789ABCDEF0123456789 Platform:] left this ARK!", ClassLeave},
	{"2024.01.01_00.00.00: Survivor [UniqueNetId:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA Platform:Steam] joined this ARK!", ClassJoin},
	{"Some Guy ID 123456 left this ARK!", ClassLeave},
	{"Survivor42 joined this ARK!", ClassJoin},
	{"No Players Connected", ClassOther},
	{"Survivor42 [UniqueNetId:notanid Platform:None] joined this ARK!", ClassOther},
	{"Survivor42 (Global): someone joined this ARK!", ClassChat},
	{"Bob (Bob): X [UniqueNetId:0002c0ffee11d00d4242beef00c0ffee Platform:None] joined this ARK!", ClassChat},
	// echo, chat, admin
	{"2016.01.28_14.50.07: SERVER: vous pouvez envoyer plein de message dans le chat please ?", ClassEcho},
	{"SERVER: [Discord] Bob: hi (x): y", ClassEcho},
	{"2016.01.28_14.50.10: Colonel Dimanche (Bob): dfsd", ClassChat},
	{"Two (Words) (Char): hi (lol): x", ClassChat},
	{"Bob (Bob): I Tamed a rex and it was killed", ClassChat},
	{"[2026.09.02-10.29.11:686][822]2026.09.02_10.29.11: AdminCmd: showAdminManager (PlayerName: AFP_Smokey, ARKID: 827627995, PlatformID: 000283de23c04f9f81016833cce8691d)", ClassAdmin},
	{`AdminCmd: GMSummon "Gigant_Character_BP_C" 300 (PlayerName: AFP_Smokey, ARKID: 827627995, SteamID: 76561197991984752)`, ClassAdmin},
	// tribe logs, prefixed
	{"[2026.06.25-17.46.46:000][  0]Tribe Tribe of Guppy, ID 123: Day 1, 12:00:00: Your Tribe Tamed a Juvenile Kentrosaurus - Lvl 24 (Kentrosaurus)!", ClassTamed},
	{"[2026.06.25-17.47.23:000][  0]Tribe Tribe of Guppy, ID 123: Day 1, 12:00:00: Tribemember Guppy - Lvl 49 was killed by a Direwolf - Lvl 114!", ClassTribeDeath},
	{"[2023.11.21-21.07.55:731][258]2023.11.21_21.07.55: Tribe Brohalla Tamed an Anglerfish - Lvl 224 (Anglerfish)!", ClassTamed},
	{"Tribe X, ID 9: Day 3, 01:02:03: Your Tribe killed Gary - Lvl 130 (Tribe of Bye)!)", ClassTribeKill},
	{`Tribe T, ID 1: Day 5, 10:00:00: <RichColor Color="1, 0, 1, 1">Sir Magnus claimed 'Roan Pinto - Lvl 30 (Equus)'!</>)`, ClassClaimed},
	{"Tribe T, ID 1: Day 5, 10:00:00: Sir Magnus unclaimed 'Roan Pinto - Lvl 30 (Equus)'!", ClassUnclaimed},
	{"Tribe T, ID 1: Day 5, 10:00:00: Einar froze Juvenile Pyraxis - Lvl 165 (Pyraxis)", ClassFroze},
	{"Tribe T, ID 1: Day 5, 10:00:00: Frozen by ID: 402662003", ClassFrozenBy},
	{"Tribe T, ID 1: Day 5, 10:00:00: Alice demolished a 'Metal Wall'!", ClassDemolished},
	{"Tribe T, ID 1: Day 5, 10:00:00: Your 'Metal Foundation' was auto-decay destroyed!", ClassAutoDecay},
	{"Tribe T, ID 1: Day 5, 10:00:00: Your 'Metal Foundation' was destroyed!", ClassDestroyed},
	{"Tribe T, ID 1: Day 5, 10:00:00: Bob - Lvl 50 (Raiders) destroyed your 'Stone Wall'!", ClassDestroyed},
	{"Tribe T, ID 1: Day 5, 10:00:00: C4 Charge destroyed their 'Large Storage Box (Tribe of X)'!)", ClassDestroyed},
	{"Tribe T, ID 1: Day 5, 10:00:00: Human with ID 556263720 set to Rank Group trust by Bob with ID 402662003!", ClassRank},
	{"Tribe T, ID 1: Day 5, 10:00:00: Bob with ID 24175312 was demoted from Tribe Admin by Alice!", ClassRank},
	{"Tribe T, ID 1: Day 5, 10:00:00: Bob was promoted to Tribe Admin by Alice!", ClassRank},
	{"Tribe T, ID 1: Day 5, 10:00:00: Bob was added to the Tribe!", ClassMembership},
	{"Tribe T, ID 1: Day 5, 10:00:00: Bob was removed from the Tribe!", ClassMembership},
	{"Tribe T, ID 1: Day 5, 10:00:00: Your Baby Rex starved to death!", ClassTribeDeath},
	{"Tribe T, ID 1: Day 5, 10:00:00: Bob requested an Alliance with Foo!", ClassAlliance},
	{"Tribe A, ID 2, ID 77: Day 5, 10:00:00: something new", ClassTribeOther},
	// in-save / un-prefixed forms
	{`Day 12433, 22:47:56: <RichColor Color="1, 0, 0, 1">Your Direbear AH - Lvl 243 (Dire Bear) was killed by a Dilophosaurus - Lvl 100!</>`, ClassTribeDeath},
	{`Day 12437, 02:52:26: <RichColor Color="0.85, 0.15, 0.25, 1">HaYoon uploaded a Daeodon: Boss 84k - Lvl 256</>`, ClassTransfer},
	{`<RichColor Color="1, 0, 0, 1">Your Giganotosaurus - Lvl 65 (Giganotosaurus) was killed!</>`, ClassTribeDeath},
	{"Bob of Tribe X Tamed a Rex - Lvl 5 (Rex)!", ClassTamed},
	// kill feed
	{"Zeke - Lvl 130 () was killed by a Sabertooth - Lvl 800 ()!", ClassDeath},
	{"One punch man - Lvl 130 () was killed! [KillerSID: 960237409]", ClassDeath},
	{"Tribemember Bye - Lvl 130 was killed!)", ClassTribeDeath},
	{"Your Tribe killed Rex [Clone] - Lvl 1259 (Rex)!)", ClassTribeKill},
	// lifecycle
	{"[2026.06.25-07.36.06:195][  0]Log file open, 06/25/26 03:36:06", ClassLogOpen},
	{"\ufeff[2026.06.25-07.36.06:195][  0]Log file open, 06/25/26 03:36:06", ClassLogOpen},
	{"[2026.06.25-07.37.22:000][  0]Server: \"Guppy's Collectibles Ragnarok\" has successfully started!", ClassStartup},
	{"[2026.06.25-07.37.45:000][  0]Server has completed startup and is now advertising for join (10.95GB Mem)", ClassStartup},
	{"[2026.06.25-17.50.00:000][  0]World Save Complete. Took: 0.67", ClassSave},
	{"[2026.06.25-07.36.06:750][  0]ARK Version: 88.25", ClassOther},
	{"[2025.03.13-18.44.11:690][ 15]UShooterEngine::LoadGameMods Merging mod asset Package /ACParanoia/PrimalGameData_BP_Paranoia with PrimalGameDataOverride.", ClassOther},
	{"[2026.08.31-05.10.12]: Tribe T, ID 1: Day 5, 10:00:00: Bob was added to the Tribe!", ClassMembership},
	// noise
	{"", ClassOther},
	{"Keep Alive", ClassOther},
	{"continuation of a wrapped server line without the marker", ClassOther},
}

func TestClassify(t *testing.T) {
	for _, tt := range classifyCases {
		ev := ParseLogLine(tt.line)
		if ev.Class != tt.class {
			t.Errorf("ParseLogLine(%q).Class = %v, want %v (text %q)", tt.line, ev.Class, tt.class, ev.Text)
		}
		if ev.Kind != coarse(ev.Class) {
			t.Errorf("%q: Kind %v does not follow Class %v", tt.line, ev.Kind, ev.Class)
		}
	}
}

func TestClassifyFields(t *testing.T) {
	ev := ParseLogLine("[2026.09.13-18.48.40:782][696]2026.09.13_18.48.40: Two Words (Kate): hello (x): y")
	if ev.Stamp != "2026.09.13_18.48.40" || ev.Name != "Two Words" || ev.Character != "Kate" || ev.Text != "hello (x): y" {
		t.Fatalf("chat fields: %+v", ev)
	}
	ev = ParseLogLine("[2026.08.31-05.10.12]: Bob (B): hi")
	if ev.Stamp != "2026.08.31_05.10.12" || ev.Class != ClassChat {
		t.Fatalf("bracket game stamp: %+v", ev)
	}
	ev = ParseLogLine(`Tribe T, ID 1: Day 5, 10:00:00: <RichColor Color="1, 0, 1, 1">Sir Magnus claimed 'Roan Pinto - Lvl 30 (Equus)'!</>)`)
	if ev.Text != "Sir Magnus claimed 'Roan Pinto - Lvl 30 (Equus)'!" || ev.Tribe != "T" || ev.TribeID != 1 || ev.Day != 5 {
		t.Fatalf("tribe fields: %+v", ev)
	}
	ev = ParseLogLine("AdminCmd: broken (PlayerName: x, ARKID: y, PlatformID: z)")
	if ev.Class != ClassAdmin || ev.Name != "" || ev.Text != "broken (PlayerName: x, ARKID: y, PlatformID: z)" {
		t.Fatalf("bad admin suffix: %+v", ev)
	}
}

func TestRoutes(t *testing.T) {
	want := map[Class]string{ClassChat: "chat", ClassJoin: "join", ClassAdmin: "admin", ClassTamed: "tribe",
		ClassTribeDeath: "deaths", ClassDeath: "deaths", ClassEcho: "", ClassOther: "", ClassSave: "admin"}
	for c, r := range want {
		if c.Route() != r {
			t.Errorf("%v.Route() = %q, want %q", c, c.Route(), r)
		}
	}
	for _, c := range Classes() {
		if strings.HasPrefix(c.String(), "class(") {
			t.Errorf("class %d has no name", c)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, c := range classifyCases {
		f.Add(c.line)
	}
	f.Add("Tribe , ID : Day , : ")
	f.Add("Day 1, 00:00:00: ")
	f.Add("[9999.99.99-99.99.99:999][x]")
	f.Add("AdminCmd:  (PlayerName: , ARKID: 1, PlatformID: )")
	f.Fuzz(func(t *testing.T, s string) {
		ev := ParseLogLine(s)
		if ev.Raw != s {
			t.Fatal("Raw changed")
		}
		if ev.Class >= numClasses {
			t.Fatalf("class %d", ev.Class)
		}
		if ev.Kind != coarse(ev.Class) {
			t.Fatal("kind/class mismatch")
		}
		if utf8.ValidString(s) && !utf8.ValidString(ev.Text) {
			t.Fatalf("valid input gave invalid text %q", ev.Text)
		}
		if len(ev.Text) > len(s) {
			t.Fatalf("text longer than input")
		}
	})
}

// BenchmarkClassify runs the catalogue in a loop; lines/s = 1e9 / ns/op.
func BenchmarkClassify(b *testing.B) {
	lines := make([]string, len(classifyCases))
	n := 0
	for i, c := range classifyCases {
		lines[i] = c.line
		n += len(c.line)
	}
	b.SetBytes(int64(n / len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = ParseLogLine(lines[i%len(lines)])
	}
	reportRates(b, cpuTime()-cpu0)
}

// reportRates reports lines per wall second and, where the CPU time is
// known, lines per CPU second: the per-core rate, also on a busy machine
// where the benchmark gets only part of a core.
func reportRates(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "lines/cpu-s")
	}
}

// BenchmarkClassifyChat is the common case: GetChat replies of player chat.
func BenchmarkClassifyChat(b *testing.B) {
	lines := []string{
		"Colonel Dimanche (Bob): dfsd",
		"Salem Le Chat (Bob2): c'est bon? anyone up for a boss run tonight at the obelisk",
		"SERVER: [Discord] Kate: on my way",
		"2016.01.28_14.50.10: Two Words (Kate): hello (x): y",
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = ParseLogLine(lines[i%len(lines)])
	}
	reportRates(b, cpuTime()-cpu0)
}
