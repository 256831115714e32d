package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// SavedArksDir is where a server's world saves live.
func SavedArksDir(gamePath, mapName string) string {
	return path.Join("/", strings.TrimSpace(gamePath), "ShooterGame/Saved/SavedArks", mapName)
}

func isGzip(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".gz") }

// fingerprint summarises the listing entries a run depends on.
func fingerprint(world FileInfo, archives []FileInfo) string {
	h := sha256.New()
	put := func(f FileInfo) {
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:8], uint64(f.Size))
		binary.LittleEndian.PutUint64(b[8:], uint64(f.ModTime.UnixNano()))
		h.Write([]byte(f.Path))
		h.Write([]byte{0})
		h.Write(b[:])
	}
	put(world)
	for _, a := range archives {
		put(a)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// backupStamp matches the date stamps of timestamped save copies.
var backupStamp = regexp.MustCompile(`\d{2}\.\d{2}\.\d{4}|\d{4}[.-]\d{2}[.-]\d{2}`)

func isWorldCandidate(name string) bool {
	l := strings.ToLower(name)
	if !strings.HasSuffix(l, ".ark") && !strings.HasSuffix(l, ".ark.gz") {
		return false
	}
	return !backupStamp.MatchString(name)
}

func isArchive(name string) bool {
	l := strings.TrimSuffix(strings.ToLower(name), ".gz")
	return strings.HasSuffix(l, ".arkprofile") || strings.HasSuffix(l, ".arktribe")
}

// PickWorldSave applies the package's world-save rule to a listing; ok is
// false when no candidate exists.
func PickWorldSave(entries []FileInfo, mapName string) (FileInfo, bool) {
	var named, newest *FileInfo
	newer := func(a, b *FileInfo) bool { // a newer than b
		if c := a.ModTime.Compare(b.ModTime); c != 0 {
			return c > 0
		}
		if a.Size != b.Size {
			return a.Size > b.Size
		}
		return a.Name < b.Name
	}
	for i := range entries {
		e := &entries[i]
		if e.IsDir || !isWorldCandidate(e.Name) {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(e.Name), ".gz"), ".ark")
		if mapName != "" && base == strings.ToLower(mapName) {
			if named == nil || newer(e, named) {
				named = e
			}
		}
		if newest == nil || newer(e, newest) {
			newest = e
		}
	}
	switch {
	case named != nil:
		return *named, true
	case newest != nil:
		return *newest, true
	}
	return FileInfo{}, false
}

// locate lists the save directory and picks the world save and archives.
func (p *Pipeline) locate(ctx context.Context, srv Server) (FileInfo, []FileInfo, error) {
	mapName := srv.Map
	if mapName == "" {
		root := SavedArksDir(srv.GamePath, "")
		ents, err := p.files.ListFiles(ctx, srv.ID, root)
		if err != nil {
			return FileInfo{}, nil, fmt.Errorf("list %s: %w", root, err)
		}
		var dirs []string
		for _, e := range ents {
			if e.IsDir {
				dirs = append(dirs, e.Name)
			}
		}
		if len(dirs) != 1 {
			return FileInfo{}, nil, fmt.Errorf("%w: server map unknown and %d map folders in %s", ErrNoSave, len(dirs), root)
		}
		mapName = dirs[0]
	}
	dir := SavedArksDir(srv.GamePath, mapName)
	ents, err := p.files.ListFiles(ctx, srv.ID, dir)
	if err != nil {
		return FileInfo{}, nil, fmt.Errorf("list %s: %w", dir, err)
	}
	for i := range ents { // tolerate listings without a full path
		if ents[i].Path == "" {
			ents[i].Path = path.Join(dir, ents[i].Name)
		}
		if ents[i].Name == "" {
			ents[i].Name = path.Base(ents[i].Path)
		}
	}
	world, ok := PickWorldSave(ents, mapName)
	if !ok {
		return FileInfo{}, nil, fmt.Errorf("%w in %s", ErrNoSave, dir)
	}
	var archives []FileInfo
	for _, e := range ents {
		if !e.IsDir && isArchive(e.Name) {
			archives = append(archives, e)
		}
	}
	slices.SortFunc(archives, func(a, b FileInfo) int { return strings.Compare(a.Path, b.Path) })
	return world, archives, nil
}
