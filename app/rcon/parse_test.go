package rcon

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParsePlayers(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		want    []Player
		wantErr bool
	}{
		{name: "doc example", reply: "0. kjrobinsonn, 0002027eea6e4d69bea553b53a343124\n",
			want: []Player{{0, "kjrobinsonn", "0002027eea6e4d69bea553b53a343124"}}},
		{name: "no players", reply: "No Players Connected\n"},
		{name: "no players trailing blanks", reply: "No Players Connected \n\n \n"},
		{name: "silent", reply: "Server received, But no response!! \n"},
		{name: "empty", reply: ""},
		{name: "several, CRLF, trailing blank lines, upper-case id",
			reply: "0. Survivor42, 0002C0FFEE11D00D4242BEEF00C0FFEE\r\n1. Two Words, 000283de23c04f9f81016833cce8691d\r\n\r\n\n",
			want: []Player{
				{0, "Survivor42", "0002c0ffee11d00d4242beef00c0ffee"},
				{1, "Two Words", "000283de23c04f9f81016833cce8691d"},
			}},
		{name: "name with comma, dot and spaces",
			reply: "3. Dr. Who, the 2nd, 0002dbe9ab20413e9b8e7e1562b76868\n",
			want:  []Player{{3, "Dr. Who, the 2nd", "0002dbe9ab20413e9b8e7e1562b76868"}}},
		{name: "bad line keeps the good ones",
			reply:   "0. a, 0002027eea6e4d69bea553b53a343124\nKeep Alive\n1. b, 76561197991984752\n",
			want:    []Player{{0, "a", "0002027eea6e4d69bea553b53a343124"}},
			wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePlayers(tt.reply)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrParse) {
				t.Fatalf("err %v is not ErrParse", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("[%d] = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseChat(t *testing.T) {
	reply := "SERVER: vous pouvez envoyer plein de message dans le chat please ?\n" +
		"Colonel Dimanche (Bob): dfsd\n" +
		"Salem Le Chat (Bob2): c'est bon?\n" +
		"Two (Words) (Char): hi (lol): x\n" +
		"Survivor42 (Global): someone joined this ARK!\n" +
		"AdminCmd: GMSummon \"Gigant_Character_BP_C\" 300 (PlayerName: AFP_Smokey, ARKID: 827627995, PlatformID: 000283DE23C04F9F81016833CCE8691D)\n" +
		"Tribe Tribe of Guppy, ID 123: Day 1, 12:00:00: Your Tribe Tamed a Juvenile Kentrosaurus - Lvl 24 (Kentrosaurus)!\n" +
		"AFP_Smokey [UniqueNetId:000283de23c04f9f81016833cce8691d Platform:None] joined this ARK!\n" +
		"\n  \n" +
		"Server received, But no response!! \n"
	got := ParseChat(reply)
	want := []ChatLine{
		{Kind: ChatServer, Text: "vous pouvez envoyer plein de message dans le chat please ?"},
		{Kind: ChatPlayer, Sender: "Colonel Dimanche", Character: "Bob", Text: "dfsd"},
		{Kind: ChatPlayer, Sender: "Salem Le Chat", Character: "Bob2", Text: "c'est bon?"},
		{Kind: ChatPlayer, Sender: "Two (Words)", Character: "Char", Text: "hi (lol): x"},
		{Kind: ChatPlayer, Sender: "Survivor42", Character: "Global", Text: "someone joined this ARK!"},
		{Kind: ChatAdmin, Sender: "AFP_Smokey", Text: `GMSummon "Gigant_Character_BP_C" 300`},
		{Kind: ChatTribe, Sender: "Tribe of Guppy", Text: "Your Tribe Tamed a Juvenile Kentrosaurus - Lvl 24 (Kentrosaurus)!"},
		{Kind: ChatOther, Text: "AFP_Smokey [UniqueNetId:000283de23c04f9f81016833cce8691d Platform:None] joined this ARK!"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines: %+v", len(got), got)
	}
	for i := range want {
		g := got[i]
		g.Raw = ""
		if g != want[i] {
			t.Errorf("[%d] = %+v\nwant   %+v", i, g, want[i])
		}
		if got[i].Raw == "" {
			t.Errorf("[%d] Raw empty", i)
		}
	}
}

func TestParseChatGameLogStamp(t *testing.T) {
	got := ParseChat("2016.01.28_14.50.10: Colonel Dimanche (Bob): dfsd\n")
	if len(got) != 1 || got[0].Kind != ChatPlayer || got[0].Text != "dfsd" {
		t.Fatalf("got %+v", got)
	}
	if want := time.Date(2016, 1, 28, 14, 50, 10, 0, time.UTC); !got[0].Time.Equal(want) {
		t.Fatalf("time = %v, want %v", got[0].Time, want)
	}
}

func TestParseGameLog(t *testing.T) {
	tests := []struct {
		line string
		want LogEvent // Raw is ignored
	}{
		{"[2026.09.13-18.48.40:782][696]2026.09.13_18.48.40: Survivor42 [UniqueNetId:0002c0ffee11d00d4242beef00c0ffee Platform:None] joined this ARK!",
			LogEvent{Kind: EventJoin, Time: time.Date(2026, 9, 13, 18, 48, 40, 0, time.UTC), Name: "Survivor42", EOSID: "0002c0ffee11d00d4242beef00c0ffee", Platform: "None"}},
		{"[2026.09.13-18.50.08:364][320]2026.09.13_18.50.08: Survivor42 [UniqueNetId:0002c0ffee11d00d4242beef00c0ffee Platform:None] left this ARK!",
			LogEvent{Kind: EventLeave, Time: time.Date(2026, 9, 13, 18, 50, 8, 0, time.UTC), Name: "Survivor42", EOSID: "0002c0ffee11d00d4242beef00c0ffee", Platform: "None"}},
		{"[2026.09.13-18.48.40:782][  1]2026.09.13_18.48.40: Two Words [Tribe] [UniqueNetId:ABCDEF0123456789ABCDEF0123456789 Platform:] left this ARK!",
			LogEvent{Kind: EventLeave, Time: time.Date(2026, 9, 13, 18, 48, 40, 0, time.UTC), Name: "Two Words [Tribe]", EOSID: "abcdef0123456789abcdef0123456789"}},
		{"2024.01.01_00.00.00: Survivor [UniqueNetId:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA Platform:Steam] joined this ARK!",
			LogEvent{Kind: EventJoin, Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Name: "Survivor", EOSID: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Platform: "Steam"}},
		{"AFP_Smokey [UniqueNetId:000283de23c04f9f81016833cce8691d Platform:None] joined this ARK!",
			LogEvent{Kind: EventJoin, Name: "AFP_Smokey", EOSID: "000283de23c04f9f81016833cce8691d", Platform: "None"}},
		{"[2026.06.25-17.40.03:000][  0]LilGuppy [UniqueNetId:123 Platform:STEAM] joined this ARK!",
			LogEvent{Kind: EventJoin, Time: time.Date(2026, 6, 25, 17, 40, 3, 0, time.UTC), Name: "LilGuppy", EOSID: "123", Platform: "STEAM"}},
		// Negative join cases from the doc.
		{"No Players Connected", LogEvent{Kind: EventOther, Text: "No Players Connected"}},
		{"Survivor42 [UniqueNetId:notanid Platform:None] joined this ARK!",
			LogEvent{Kind: EventOther, Text: "Survivor42 [UniqueNetId:notanid Platform:None] joined this ARK!"}},
		{"Survivor42 (Global): someone joined this ARK!",
			LogEvent{Kind: EventChat, Name: "Survivor42", Character: "Global", Text: "someone joined this ARK!"}},
		{"Bob (Bob): X [UniqueNetId:0002c0ffee11d00d4242beef00c0ffee Platform:None] joined this ARK!",
			LogEvent{Kind: EventChat, Name: "Bob", Character: "Bob", Text: "X [UniqueNetId:0002c0ffee11d00d4242beef00c0ffee Platform:None] joined this ARK!"}},
		{"Survivor42 joined this ARK!", LogEvent{Kind: EventJoin, Name: "Survivor42", Text: "Survivor42 joined this ARK!"}},
		{"Some Guy ID 123456 left this ARK!", LogEvent{Kind: EventLeave, Name: "Some Guy", ARKID: 123456, Text: "Some Guy ID 123456 left this ARK!"}},
		// Chat and server lines.
		{"2016.01.28_14.50.07: SERVER: vous pouvez envoyer plein de message dans le chat please ?",
			LogEvent{Kind: EventServerChat, Time: time.Date(2016, 1, 28, 14, 50, 7, 0, time.UTC), Text: "vous pouvez envoyer plein de message dans le chat please ?"}},
		{"2016.01.28_14.50.28: Salem Le Chat (Bob2): c'est bon?",
			LogEvent{Kind: EventChat, Time: time.Date(2016, 1, 28, 14, 50, 28, 0, time.UTC), Name: "Salem Le Chat", Character: "Bob2", Text: "c'est bon?"}},
		// Admin.
		{"[2026.09.02-10.29.11:686][822]2026.09.02_10.29.11: AdminCmd: showAdminManager (PlayerName: AFP_Smokey, ARKID: 827627995, PlatformID: 000283de23c04f9f81016833cce8691d)",
			LogEvent{Kind: EventAdmin, Time: time.Date(2026, 9, 2, 10, 29, 11, 0, time.UTC), Name: "AFP_Smokey", ARKID: 827627995, EOSID: "000283de23c04f9f81016833cce8691d", Text: "showAdminManager"}},
		{`AdminCmd: GMSummon "Gigant_Character_BP_C" 300 (PlayerName: AFP_Smokey, ARKID: 827627995, PlatformID: 000283DE23C04F9F81016833CCE8691D)`,
			LogEvent{Kind: EventAdmin, Name: "AFP_Smokey", ARKID: 827627995, EOSID: "000283de23c04f9f81016833cce8691d", Text: `GMSummon "Gigant_Character_BP_C" 300`}},
		// Tribe logs.
		{"[2026.06.25-17.46.46:000][  0]Tribe Tribe of Guppy, ID 123: Day 1, 12:00:00: Your Tribe Tamed a Juvenile Kentrosaurus - Lvl 24 (Kentrosaurus)!",
			LogEvent{Kind: EventTribe, Time: time.Date(2026, 6, 25, 17, 46, 46, 0, time.UTC), Tribe: "Tribe of Guppy", TribeID: 123, Day: 1, Clock: "12:00:00", TribeKind: TribeTame, Text: "Your Tribe Tamed a Juvenile Kentrosaurus - Lvl 24 (Kentrosaurus)!"}},
		{"[2026.06.25-17.47.23:000][  0]Tribe Tribe of Guppy, ID 123: Day 1, 12:00:00: Tribemember Guppy - Lvl 49 was killed by a Direwolf - Lvl 114!",
			LogEvent{Kind: EventTribe, Time: time.Date(2026, 6, 25, 17, 47, 23, 0, time.UTC), Tribe: "Tribe of Guppy", TribeID: 123, Day: 1, Clock: "12:00:00", TribeKind: TribeDeath, Text: "Tribemember Guppy - Lvl 49 was killed by a Direwolf - Lvl 114!"}},
		{"[2023.11.21-21.07.55:731][258]2023.11.21_21.07.55: Tribe Brohalla Tamed an Anglerfish - Lvl 224 (Anglerfish)!",
			LogEvent{Kind: EventTribe, Time: time.Date(2023, 11, 21, 21, 7, 55, 0, time.UTC), Tribe: "Brohalla", TribeKind: TribeTame, Text: "Tamed an Anglerfish - Lvl 224 (Anglerfish)!"}},
		{`Day 12433, 22:47:56: <RichColor Color="1, 0, 0, 1">Your Direbear AH - Lvl 243 (Dire Bear) was killed by a Dilophosaurus - Lvl 100!</>`,
			LogEvent{Kind: EventTribe, Day: 12433, Clock: "22:47:56", TribeKind: TribeDeath, Text: "Your Direbear AH - Lvl 243 (Dire Bear) was killed by a Dilophosaurus - Lvl 100!"}},
		{`Day 12437, 02:52:26: <RichColor Color="0.85, 0.15, 0.25, 1">HaYoon uploaded a Daeodon: Boss 84k - Lvl 256</>`,
			LogEvent{Kind: EventTribe, Day: 12437, Clock: "02:52:26", TribeKind: TribeOther, Text: "HaYoon uploaded a Daeodon: Boss 84k - Lvl 256"}},
		{"Tribe X, ID 9: Day 3, 01:02:03: Your Tribe killed Gary - Lvl 130 (Tribe of Bye)!)",
			LogEvent{Kind: EventTribe, Tribe: "X", TribeID: 9, Day: 3, Clock: "01:02:03", TribeKind: TribeKill, Text: "Your Tribe killed Gary - Lvl 130 (Tribe of Bye)!"}},
		// Lifecycle.
		{"[2026.06.25-17.50.00:000][  0]World Save Complete. Took: 0.67",
			LogEvent{Kind: EventSave, Time: time.Date(2026, 6, 25, 17, 50, 0, 0, time.UTC), Text: "World Save Complete. Took: 0.67"}},
		{"[2026.06.25-07.37.45:000][  0]Server has completed startup and is now advertising for join (10.95GB Mem)",
			LogEvent{Kind: EventStartup, Time: time.Date(2026, 6, 25, 7, 37, 45, 0, time.UTC), Text: "Server has completed startup and is now advertising for join (10.95GB Mem)"}},
		{"[2025.03.13-18.44.11:690][ 15]UShooterEngine::LoadGameMods Merging mod asset Package /ACParanoia/PrimalGameData_BP_Paranoia with PrimalGameDataOverride.",
			LogEvent{Kind: EventOther, Time: time.Date(2025, 3, 13, 18, 44, 11, 690e6, time.UTC), Text: "UShooterEngine::LoadGameMods Merging mod asset Package /ACParanoia/PrimalGameData_BP_Paranoia with PrimalGameDataOverride."}},
	}
	for _, tt := range tests {
		got := ParseLogLine(tt.line)
		if got.Raw != tt.line {
			t.Errorf("Raw = %q", got.Raw)
		}
		got.Raw, got.Class, got.Stamp = "", 0, ""
		if tt.want.Text == "" && (tt.want.Kind == EventJoin || tt.want.Kind == EventLeave) {
			got.Text = "" // join/leave keep the stripped line in Text; not under test
		}
		if got != tt.want {
			t.Errorf("ParseLogLine(%q)\n got %+v\nwant %+v", tt.line, got, tt.want)
		}
	}
	evs := ParseGameLog("2016.01.28_14.50.10: Colonel Dimanche (Bob): dfsd\n\nServer received, But no response!! \n")
	if len(evs) != 1 || evs[0].Kind != EventChat {
		t.Fatalf("ParseGameLog = %+v", evs)
	}
}

func TestSanitizeText(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 10, "hello"},
		{"  multi\nline\r\ntext\t ", 50, "multi line text"},
		{"a\x00b\x07c", 10, "abc"},
		{"Crème brûlée à l'œuf", 50, "Creme brulee a l'oeuf"},
		{"emoji 🦖 rex", 50, "emoji rex"},
		{"hi | DoExit", 50, "hi / DoExit"},
		{"abcdefghij", 5, "abcde"},
		{"abc   def", 5, "abc d"},
		{"abc   def", 4, "abc"},
		{"ééééé", 3, "eee"},
		{"“quoted” — yes…", 50, `"quoted" - yes...`},
		{strings.Repeat("x", 500), 0, strings.Repeat("x", MaxChatLen)},
		{"\n\n", 10, ""},
	}
	for _, tt := range tests {
		if got := SanitizeText(tt.in, tt.max); got != tt.want {
			t.Errorf("SanitizeText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func FuzzSanitizeText(f *testing.F) {
	f.Add("hello\nworld | x", 20)
	f.Add("Crème 🦖", 3)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max%400 + 1
		if max <= 0 {
			max = -max + 1
		}
		got := SanitizeText(s, max)
		if len(got) > max || !utf8.ValidString(got) {
			t.Fatalf("SanitizeText(%q, %d) = %q", s, max, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] < 0x20 || got[i] > 0x7e || got[i] == '|' {
				t.Fatalf("unsafe byte %q in %q", got[i], got)
			}
		}
	})
}

func TestBuilders(t *testing.T) {
	const id = "0002027EEA6E4D69BEA553B53A343124"
	const lid = "0002027eea6e4d69bea553b53a343124"
	ok := []struct {
		got  func() (string, error)
		want string
	}{
		{func() (string, error) { return ServerChat("Hello\nworld") }, "ServerChat Hello world"},
		{func() (string, error) { return Broadcast("Restart in 5 min") }, "Broadcast Restart in 5 min"},
		{func() (string, error) { return ServerChatTo(id, "psst") }, `ServerChatTo "` + lid + `" psst`},
		{func() (string, error) { return KickPlayer(id) }, "KickPlayer " + lid},
		{func() (string, error) { return BanPlayer(" " + id + " ") }, "BanPlayer " + lid},
		{func() (string, error) { return UnbanPlayer(lid) }, "UnbanPlayer " + lid},
		{func() (string, error) { return AllowPlayerToJoinNoCheck(lid) }, "AllowPlayerToJoinNoCheck " + lid},
		{func() (string, error) { return DisallowPlayerToJoinNoCheck(lid) }, "DisallowPlayerToJoinNoCheck " + lid},
		{func() (string, error) { return AddPoints(lid, 800) }, "AddPoints " + lid + " 800"},
		{func() (string, error) {
			return GiveItemToPlayer(827627995, "Blueprint'/Game/PrimalEarth/CoreBlueprints/Items/Armor/Riot/PrimalItemArmor_RiotPants.PrimalItemArmor_RiotPants'", 10, 0, false)
		}, `GiveItemToPlayer 827627995 "Blueprint'/Game/PrimalEarth/CoreBlueprints/Items/Armor/Riot/PrimalItemArmor_RiotPants.PrimalItemArmor_RiotPants'" 10 0 0`},
		{func() (string, error) { return GiveItemToPlayer(5, "/Game/X/PrimalItem_A.PrimalItem_A", 1, 100, true) },
			`GiveItemToPlayer 5 "Blueprint'/Game/X/PrimalItem_A.PrimalItem_A'" 1 100 1`},
		{func() (string, error) { return ScriptCommand("gsa reward 1 | x") }, "ScriptCommand gsa reward 1 / x"},
	}
	for i, tt := range ok {
		got, err := tt.got()
		if err != nil || got != tt.want {
			t.Errorf("[%d] = %q, %v; want %q", i, got, err, tt.want)
		}
	}
	bad := []func() (string, error){
		func() (string, error) { return ServerChat(" \n ") },
		func() (string, error) { return KickPlayer("76561197991984752") },
		func() (string, error) { return BanPlayer("0002027eea6e4d69bea553b53a34312") },
		func() (string, error) { return BanPlayer("0002027eea6e4d69bea553b53a34312g") },
		func() (string, error) { return UnbanPlayer(lid + "; DoExit") },
		func() (string, error) { return AddPoints(lid, 0) },
		func() (string, error) { return GiveItemToPlayer(0, "/Game/X.X", 1, 0, false) },
		func() (string, error) { return GiveItemToPlayer(1, `/Game/X.X" 1 0 0 | DoExit`, 1, 0, false) },
		func() (string, error) { return GiveItemToPlayer(1, "/Game/X.X", 0, 0, false) },
		func() (string, error) { return ScriptCommand("\x00") },
	}
	for i, fn := range bad {
		if got, err := fn(); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("bad[%d] = %q, %v; want ErrInvalidArgument", i, got, err)
		}
	}
	for _, s := range []string{ListPlayers(), GetChat(), GetGameLog(), SaveWorld(), DestroyWildDinos()} {
		if s == "" || strings.ContainsAny(s, " \n") {
			t.Errorf("bad no-arg command %q", s)
		}
	}
}

func FuzzParsePlayers(f *testing.F) {
	f.Add("0. kjrobinsonn, 0002027eea6e4d69bea553b53a343124\n")
	f.Add("No Players Connected\n\n")
	f.Add("1. a, b, c, 0002027EEA6E4D69BEA553B53A343124\r\n2. , \n")
	f.Fuzz(func(t *testing.T, s string) {
		ps, _ := ParsePlayers(s)
		for _, p := range ps {
			if !eosIDRe.MatchString(p.EOSID) || p.Index < 0 {
				t.Fatalf("bad player %+v", p)
			}
		}
	})
}

func FuzzParseChat(f *testing.F) {
	f.Add("SERVER: hi\nColonel Dimanche (Bob): dfsd\n")
	f.Add("AdminCmd: x (PlayerName: a, ARKID: 1, PlatformID: ff)\n")
	f.Add("Tribe T, ID 1: Day 1, 00:00:00: <RichColor Color=\"1\">x)</>\n")
	f.Add("[2026.09.13-18.48.40:782][696]2026.09.13_18.48.40: a [UniqueNetId:ab Platform:] left this ARK!")
	f.Add(" (): \n (x):")
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range ParseChat(s) {
			if l.Raw == "" {
				t.Fatal("empty Raw")
			}
		}
		_ = ParseGameLog(s)
	})
}

func FuzzReadPacket(f *testing.F) {
	f.Add(encodePacket(0, 0, "hello"))
	f.Add(append(encodePacket(2, -1, ""), encodePacket(0, 0, "Keep Alive")...))
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Add([]byte{10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for range 64 {
			p, err := readPacket(r, 4096)
			if err != nil {
				return
			}
			if len(p.Body) > 4096 {
				t.Fatalf("body %d bytes over the cap", len(p.Body))
			}
		}
	})
}

func TestSplitText(t *testing.T) {
	got := SplitText("one two three\nfour fiveeeeeeeeee", 9)
	want := []string{"one two", "three", "four", "fiveeeeee", "eeee"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("SplitText = %q, want %q", got, want)
	}
	if got := SplitText(" \n ", 10); len(got) != 0 {
		t.Fatalf("empty input gave %q", got)
	}
	for _, c := range SplitText(strings.Repeat("word ", 300), 0) {
		if len(c) > MaxChatLen || c == "" {
			t.Fatalf("bad chunk %q", c)
		}
	}
}
