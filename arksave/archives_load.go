package arksave

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// archives loads the embedded store and the optional standalone files.
func (d *decoder) archives(ctx context.Context, src Source, st *Stats) ([]*Player, []*Tribe, error) {
	var profiles []*Player
	var tribes []*Tribe
	gb, err := src.Custom(ctx, "GameModeCustomBytes")
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, nil, fmt.Errorf("arksave: game mode: %w", err)
	}
	if err == nil {
		store, err := ReadStore(gb)
		if err != nil {
			st.noteFailure("GameModeCustomBytes")
		} else {
			st.HasStore = store.Embedded
			for _, b := range store.Profiles {
				if p, err := DecodeProfile(b); err == nil {
					profiles = append(profiles, p)
				} else {
					st.noteFailure("store profile")
				}
			}
			for _, b := range store.Tribes {
				if t, err := DecodeTribe(b); err == nil {
					tribes = append(tribes, t)
				} else {
					st.noteFailure("store tribe")
				}
			}
		}
	}
	for _, b := range d.opts.Profiles {
		if p, err := DecodeProfile(b); err == nil {
			profiles = append(profiles, p)
		} else {
			st.noteFailure(".arkprofile")
		}
	}
	for _, b := range d.opts.Tribes {
		if t, err := DecodeTribe(b); err == nil {
			tribes = append(tribes, t)
		} else {
			st.noteFailure(".arktribe")
		}
	}
	if d.opts.Archives != nil {
		ents, err := fs.ReadDir(d.opts.Archives, ".")
		if err != nil {
			return nil, nil, fmt.Errorf("arksave: archives: %w", err)
		}
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return nil, nil, fmt.Errorf("arksave: archives: %w", err)
			}
			name := e.Name()
			isP, isT := strings.HasSuffix(name, ".arkprofile"), strings.HasSuffix(name, ".arktribe")
			if e.IsDir() || (!isP && !isT) {
				continue
			}
			b, err := readFileCapped(d.opts.Archives, name)
			if err != nil {
				st.noteFailure(path.Ext(name))
				continue
			}
			if isP {
				if p, err := DecodeProfile(b); err == nil {
					profiles = append(profiles, p)
				} else {
					st.noteFailure(".arkprofile")
				}
			} else {
				if t, err := DecodeTribe(b); err == nil {
					tribes = append(tribes, t)
				} else {
					st.noteFailure(".arktribe")
				}
			}
		}
	}
	return profiles, tribes, nil
}

func readFileCapped(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllCapped(f)
}
