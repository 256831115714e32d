package app

import (
	"runtime/debug"
	"strings"
)

// version is set at link time: -ldflags "-X github.com/blissark/bliss/app.version=v1.2.3".
// It is never written at run time.
var version string

// Version returns the release version (ldflags), else the module version and
// VCS revision from the build info.
func Version() string {
	v := version
	var rev, dirty string
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if rev != "" && !strings.Contains(v, rev[:min(len(rev), 12)]) {
		v += " (" + rev[:min(len(rev), 12)] + dirty + ")"
	}
	return v
}
